import { z } from 'zod';
import { timestampSchema } from './timestamp.js';

const percent = z.number().min(0).max(100);

/** Health readings on `{root}/{id}/telemetry`, QoS 0. Every reading is optional. */
export const telemetrySchema = z.strictObject({
  ts: timestampSchema,
  temperatureC: z.number().min(-50).max(120).optional(),
  binFillPercent: percent.optional(),
  paperPercent: percent.optional(),
  booksAvailable: z.number().int().min(0).max(100_000).optional(),
  signalDbm: z.number().min(-150).max(0).optional(),
});
export type Telemetry = z.infer<typeof telemetrySchema>;
