import { z } from 'zod';

/** ISO 8601 date-time with an explicit offset (`Z` or `+08:00`), as every machine must send. */
export const timestampSchema = z.iso.datetime({
  offset: true,
  message: 'ts must be ISO 8601 with an offset, e.g. 2026-11-22T08:30:00+08:00',
});
export type Timestamp = z.infer<typeof timestampSchema>;
