import { z } from 'zod';
import { timestampSchema } from './timestamp.js';

/** Published to a machine on `{root}/{id}/commands`; it answers with a `command_ack` event. */
export const commandSchema = z.strictObject({
  id: z.string().min(1).max(128),
  type: z.enum(['pause', 'resume', 'withdraw', 'reboot']),
  reason: z.string().min(1).max(500),
  by: z.string().min(1).max(64),
  ts: timestampSchema,
});
export type KioskCommand = z.infer<typeof commandSchema>;
