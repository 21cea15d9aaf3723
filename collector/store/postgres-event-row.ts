import type { EventRecord } from './event-store.js';

/** The columns of `events` every read selects (not the appending transaction and store). */
export const EVENT_COLUMNS = 'id, kiosk_id, type, ts, ts_ms, received_ms, data';

/** A row of `events` as read with {@link EVENT_COLUMNS}. */
export interface EventRow {
  id: string;
  kiosk_id: string;
  type: string;
  ts: string;
  ts_ms: number;
  received_ms: number;
  data: Record<string, unknown>;
}

export function toEventRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    kioskId: row.kiosk_id,
    type: row.type,
    ts: row.ts,
    tsMs: row.ts_ms,
    receivedMs: row.received_ms,
    data: row.data,
  };
}
