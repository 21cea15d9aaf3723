import type { DeadLetterReason } from '../dead-letter-reason.js';
import type { LocalDay } from '../../time/calendar.js';

/** One event as the store keeps it. `data` is the whole validated event, as the machine sent it. */
export interface EventRecord {
  id: string;
  /** The machine the event is about; `''` for a platform event about no machine (a home delivery). */
  kioskId: string;
  type: string;
  /** The event time as sent (ISO 8601 with offset). */
  ts: string;
  /** The same instant, epoch milliseconds; orders the history. */
  tsMs: number;
  /** When the collector received it, epoch milliseconds. */
  receivedMs: number;
  data: Record<string, unknown>;
}

export interface AppendResult {
  /** Ids stored by this call. */
  inserted: string[];
  /** Ids already in the store with the same event (redelivery, replay): nothing was written for them. */
  duplicates: string[];
  /**
   * Ids already in the store with another event (another machine, type, time or body): nothing
   * was written; the stored one stays. Compared canonically (see event-identity.ts), not as text.
   */
  conflicts: IdConflict[];
}

/** An event refused because its id was taken by another: both versions, for the dead letter. */
export interface IdConflict {
  id: string;
  stored: EventRecord;
  refused: EventRecord;
}

export interface EventCursor {
  tsMs: number;
  id: string;
}

export interface EventQuery {
  /** Inclusive lower bound on event time, epoch ms. */
  fromMs?: number;
  /** Exclusive upper bound on event time, epoch ms. */
  toMs?: number;
  kioskId?: string;
  types?: readonly string[];
  /** Default 1000. */
  limit?: number;
  /** Default 'asc' (oldest first). Ties on time are ordered by id. */
  order?: 'asc' | 'desc';
  /** Continue after this event (in the query's order): keyset pagination. */
  after?: EventCursor;
}

export interface CountQuery {
  granularity: 'day' | 'month';
  /** First local day counted, inclusive. */
  fromDay: LocalDay;
  /** Local day where counting stops, exclusive. */
  toDay: LocalDay;
  kioskIds?: readonly string[];
  types?: readonly string[];
  /** One row per machine and period instead of one per period. */
  byKiosk?: boolean;
}

export interface CountRow {
  /** `YYYY-MM-DD` or `YYYY-MM`, local to the store's time zone. */
  period: string;
  type: string;
  count: number;
  /** Present when the query asked `byKiosk`. */
  kioskId?: string;
}

export interface TelemetryRecord {
  kioskId: string;
  tsMs: number;
  readings: Record<string, number>;
}

export interface TelemetryQuery {
  kioskId: string;
  fromMs?: number;
  toMs?: number;
  /** Newest readings first up to this many; default 1000. */
  limit?: number;
}

export interface DeadLetterRecord {
  receivedMs: number;
  topic: string;
  kioskId?: string;
  /** Stable reason code, e.g. `invalid_json`, `schema`, `unknown_topic`: see dead-letter-reason.ts. */
  reason: DeadLetterReason;
  /** Human-readable detail: which field, what was wrong. */
  detail: string;
  /** The start of the offending payload (at most 1 KiB, as UTF-8 text). */
  payloadExcerpt: string;
}

export interface StoredDeadLetter extends Omit<DeadLetterRecord, 'reason'> {
  seq: number;
  /** As stored: a `DeadLetterReason`, or a code an older version wrote; shown, never branched on. */
  reason: string;
}

export interface DeadLetterQuery {
  limit?: number;
  /** Only records with a smaller `seq` (pagination, newest first). */
  beforeSeq?: number;
}

/**
 * The append-only event history. Appends are idempotent on event id; a resolved `append` means
 * the events are durable. Counts are pushed down to the store and computed by local calendar day
 * in the time zone the store was created with.
 */
export interface EventStore {
  readonly timeZone: string;
  append(records: readonly EventRecord[]): Promise<AppendResult>;
  readEvents(query: EventQuery): Promise<EventRecord[]>;
  countByPeriod(query: CountQuery): Promise<CountRow[]>;
  appendTelemetry(records: readonly TelemetryRecord[]): Promise<void>;
  readTelemetry(query: TelemetryQuery): Promise<TelemetryRecord[]>;
  appendDeadLetters(records: readonly DeadLetterRecord[]): Promise<void>;
  readDeadLetters(query?: DeadLetterQuery): Promise<StoredDeadLetter[]>;
  countDeadLetters(): Promise<number>;
  close(): Promise<void>;
}
