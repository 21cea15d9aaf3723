import { type AlertDelivery, OUTBOX_STATES, type OutboxEntry, type OutboxState } from './notification-outbox.js';
import { parseStoredMessage } from './stored-message.js';

/**
 * A notification outbox row as both SQL adapters store it, and its one mapping to an entry. The
 * message is JSON text in SQLite and jsonb in PostgreSQL; each adapter hands it over as text, so
 * the same schema checks it.
 */
export interface OutboxRow {
  id: number;
  key: string;
  channel: string;
  group_key: string | null;
  message: string;
  state: string;
  created_ms: number;
  due_ms: number;
  expires_ms: number;
  attempts: number;
  last_error: string | null;
  done_ms: number | null;
  done_by: string | null;
  merged_into: number | null;
  claimed_by: string | null;
  lease_until: number | null;
}

export const isOutboxState = (s: string): s is OutboxState => (OUTBOX_STATES as readonly string[]).includes(s);

export function outboxEntryOf(row: OutboxRow): OutboxEntry {
  if (!isOutboxState(row.state)) throw new Error(`outbox entry ${row.id} has an unknown state ${row.state}`);
  return {
    id: row.id,
    key: row.key,
    channel: row.channel,
    message: parseStoredMessage(row.message),
    groupKey: row.group_key,
    state: row.state,
    createdMs: row.created_ms,
    dueMs: row.due_ms,
    expiresMs: row.expires_ms,
    attempts: row.attempts,
    lastError: row.last_error,
    doneMs: row.done_ms,
    doneBy: row.done_by,
    mergedInto: row.merged_into,
    claimedBy: row.claimed_by,
    leaseUntilMs: row.lease_until,
  };
}

/** A row joined with its alert link (`kind`, `step`), as an alert's delivery history reads it. */
export type AlertDeliveryRow = Pick<
  OutboxRow,
  'id' | 'channel' | 'state' | 'created_ms' | 'done_ms' | 'attempts' | 'last_error'
> & {
  kind: string;
  step: number | null;
};

export function alertDeliveryOf(r: AlertDeliveryRow): AlertDelivery {
  return {
    entryId: r.id,
    channel: r.channel,
    kind: r.kind,
    step: r.step,
    state: isOutboxState(r.state) ? r.state : 'pending',
    createdMs: r.created_ms,
    doneMs: r.done_ms,
    attempts: r.attempts,
    lastError: r.last_error,
  };
}
