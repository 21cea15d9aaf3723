import type { EventRecord } from './event-store.js';

/** A row of an `events` table as the SQL stores read it; `data` as the store keeps it (JSON text or parsed). */
export interface EventRowOf<Data> {
  id: string;
  kiosk_id: string;
  type: string;
  ts: string;
  ts_ms: number;
  received_ms: number;
  data: Data;
}

/** The record of a row, with its `data` as the store decoded it. */
export function recordOfRow(row: EventRowOf<unknown>, data: Record<string, unknown>): EventRecord {
  return {
    id: row.id,
    kioskId: row.kiosk_id,
    type: row.type,
    ts: row.ts,
    tsMs: row.ts_ms,
    receivedMs: row.received_ms,
    data,
  };
}
