import { z } from 'zod';
import { kioskIdSchema } from './topics.js';

/**
 * Where an online reservation is delivered: to a machine, or to the reader's door. The lending
 * platform names it when it creates a reservation (`POST /api/v1/reservations`), and the
 * `reservation_created` event keeps it.
 */
export const destinationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kiosk'), kioskId: kioskIdSchema }),
  z.strictObject({ kind: z.literal('home') }),
]);
export type Destination = z.infer<typeof destinationSchema>;
