import type { StoredDeadLetter } from './event-store.js';

/** A dead letter as the SQL stores (SQLite and PostgreSQL) keep it: one row, snake_case columns. */
export interface DeadLetterRow {
  seq: number;
  received_ms: number;
  topic: string;
  kiosk_id: string | null;
  reason: string;
  detail: string;
  payload_excerpt: string;
}

export function toStoredDeadLetter(row: DeadLetterRow): StoredDeadLetter {
  return {
    seq: row.seq,
    receivedMs: row.received_ms,
    topic: row.topic,
    ...(row.kiosk_id === null ? {} : { kioskId: row.kiosk_id }),
    reason: row.reason,
    detail: row.detail,
    payloadExcerpt: row.payload_excerpt,
  };
}
