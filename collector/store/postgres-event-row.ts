import type { EventRecord } from './event-store.js';
import { type EventRowOf, recordOfRow } from './event-row.js';

/** The columns of `events` every read selects (not the appending transaction and store). */
export const EVENT_COLUMNS = 'id, kiosk_id, type, ts, ts_ms, received_ms, data';

/** A row of `events` as read with {@link EVENT_COLUMNS}: PostgreSQL returns `data` (jsonb) parsed. */
export type EventRow = EventRowOf<Record<string, unknown>>;

export const toEventRecord = (row: EventRow): EventRecord => recordOfRow(row, row.data);
