import { z } from 'zod';
import { timestampSchema } from './timestamp.js';

/**
 * Retained on `{root}/{id}/status` with QoS 1. A machine publishes `online` after connecting and
 * sets an `offline` Last Will carrying the same `bootId`, so that a stale will from an earlier
 * connection can be told apart from the current one.
 */
export const statusSchema = z.strictObject({
  state: z.enum(['online', 'offline']),
  ts: timestampSchema,
  reason: z.string().max(200).optional(),
  firmware: z.string().max(64).optional(),
  bootId: z.string().min(1).max(64).optional(),
  /**
   * On `offline`: the machine said beforehand that it is stopping (a scheduled shutdown, SIP2 SC
   * status "about to shut down"). A planned stop, not a failure.
   */
  announced: z.boolean().optional(),
});
export type KioskStatus = z.infer<typeof statusSchema>;
