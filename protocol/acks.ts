import { z } from 'zod';
import { eventIdSchema } from './events.js';

/**
 * Published by the collector on `{root}/{id}/acks` once events are durably stored.
 * `stored`: the machine may drop these from its outbox (duplicates of stored events included).
 * `rejected`: events the collector will never store (kept in its dead-letter record); the
 * machine drops them too and may log the reason.
 */
export const ackSchema = z.strictObject({
  stored: z.array(eventIdSchema),
  rejected: z.array(z.strictObject({ id: z.string().max(128), reason: z.string().max(200) })).default([]),
});
export type EventAck = z.infer<typeof ackSchema>;
