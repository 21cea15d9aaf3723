import { z } from 'zod';
import { kioskIdSchema } from '../protocol/topics.js';

/** Where a machine is in its life (docs/domain.md): reserve machines are spare-part stores and depots. */
export const lifecycleSchema = z.enum(['active', 'reserve', 'paused', 'withdrawn']);
export type Lifecycle = z.infer<typeof lifecycleSchema>;

/** A machine as the registry knows it, and as `POST /api/v1/kiosks` and CSV import accept it. */
export const kioskRecordSchema = z.strictObject({
  id: kioskIdSchema,
  name: z.string().trim().min(1).max(200),
  nameEn: z.string().trim().max(200).optional(),
  address: z.string().trim().max(300).optional(),
  district: z.string().trim().min(1).max(100),
  districtEn: z.string().trim().max(100).optional(),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  model: z.string().trim().max(100).optional(),
  installedOn: z.iso.date().optional(),
  capacityBooks: z.number().int().min(0).max(100_000).optional(),
  lifecycle: lifecycleSchema.default('active'),
  /** Left off the public status page for readers (a machine in a staff-only area, one being installed). */
  isHiddenFromStatusPage: z.boolean().optional(),
});
export type KioskRecord = z.infer<typeof kioskRecordSchema>;
export type KioskInput = z.input<typeof kioskRecordSchema>;
