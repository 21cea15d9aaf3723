import { z } from 'zod';
import { kioskIdSchema } from '../protocol/topics.js';

/** Where a machine is in its life (docs/domain.md): reserve machines are spare-part stores and depots. */
export const lifecycleSchema = z.enum(['active', 'reserve', 'paused', 'withdrawn']);
export type Lifecycle = z.infer<typeof lifecycleSchema>;

/**
 * C0 and C1 control characters (NUL, escape sequences, line breaks) and the bidirectional
 * overrides and isolates that make a name display as something else (`\u202Egnp.exe`). Names
 * are shown on screens, in exports and notices: none of these belongs in one. An address may
 * span lines.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNDISPLAYABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const LINE_BREAKS = /\r?\n/g;
const displayText = (max: number, min = 0, options: { isMultiLine?: boolean } = {}) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine(
      (s) => !UNDISPLAYABLE.test(options.isMultiLine ? s.replace(LINE_BREAKS, ' ') : s),
      'must not contain control characters or bidirectional overrides',
    );

/** A machine as the registry knows it, and as `POST /api/v1/kiosks` and CSV import accept it. */
export const kioskRecordSchema = z.strictObject({
  id: kioskIdSchema,
  name: displayText(200, 1),
  nameEn: displayText(200).optional(),
  address: displayText(300, 0, { isMultiLine: true }).optional(),
  district: displayText(100, 1),
  districtEn: displayText(100).optional(),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  model: displayText(100).optional(),
  installedOn: z.iso.date().optional(),
  capacityBooks: z.number().int().min(0).max(100_000).optional(),
  lifecycle: lifecycleSchema.default('active'),
});
export type KioskRecord = z.infer<typeof kioskRecordSchema>;
export type KioskInput = z.input<typeof kioskRecordSchema>;
