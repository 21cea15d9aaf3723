import type { DecodeRejection } from './decode.js';
import type { PlatformRequest } from './platform-write.js';
import type { DeadLetterRecord, EventRecord, TelemetryRecord } from './store/event-store.js';

/**
 * What waits to be appended, in arrival order, each kind said by where it came from (never by a
 * record's `type`): a machine's events from one message (counted as queued, acked once durable),
 * a machine's status or Last Will (neither), a platform request (its caller awaits the outcome).
 * They share one ordered list because the store and the live fold take a machine's records in
 * the order they arrived, whoever wrote them.
 */
export type Entry =
  | { kind: 'events'; records: EventRecord[] }
  | { kind: 'status'; record: EventRecord }
  | { kind: 'platform'; request: PlatformRequest };

export interface Batch {
  entries: Entry[];
  telemetry: TelemetryRecord[];
  deadLetters: DeadLetterRecord[];
  rejectedByKiosk: Map<string, DecodeRejection[]>;
}

export const emptyBatch = (): Batch => ({ entries: [], telemetry: [], deadLetters: [], rejectedByKiosk: new Map() });

export const isEmpty = (b: Batch) => b.entries.length + b.telemetry.length + b.deadLetters.length + b.rejectedByKiosk.size === 0;

/** Everything the batch appends, in arrival order. */
export function recordsOf(entries: readonly Entry[]): EventRecord[] {
  const records: EventRecord[] = [];
  for (const entry of entries) {
    if (entry.kind === 'events') for (const r of entry.records) records.push(r);
    else if (entry.kind === 'status') records.push(entry.record);
    else for (const r of entry.request.records) records.push(r);
  }
  return records;
}

/** The machines' events: what is acked and counted as queued. */
export function machineEventsOf(entries: readonly Entry[]): EventRecord[] {
  const events: EventRecord[] = [];
  for (const entry of entries) if (entry.kind === 'events') for (const r of entry.records) events.push(r);
  return events;
}

export function platformRequestsOf(entries: readonly Entry[]): PlatformRequest[] {
  return entries.flatMap((e) => (e.kind === 'platform' ? [e.request] : []));
}

const sizeOf = (entry: Entry) =>
  entry.kind === 'events' ? entry.records.length : entry.kind === 'status' ? 1 : entry.request.records.length;

/**
 * Splits the oldest `maxRecords` off `pending` (with all its telemetry, dead letters and
 * rejections): a machine's events are cut to fit, a status or a platform request is taken whole
 * (at least one entry, so a request larger than a batch still goes).
 */
export function takeBatch(pending: Batch, maxRecords: number): { batch: Batch; rest: Batch } {
  const taken: Entry[] = [];
  let count = 0;
  let i = 0;
  for (; i < pending.entries.length && count < maxRecords; i++) {
    const entry = pending.entries[i]!;
    const size = sizeOf(entry);
    if (count + size <= maxRecords) {
      taken.push(entry);
      count += size;
    } else if (entry.kind === 'events') {
      taken.push({ kind: 'events', records: entry.records.slice(0, maxRecords - count) });
      const rest = [
        { kind: 'events' as const, records: entry.records.slice(maxRecords - count) },
        ...pending.entries.slice(i + 1),
      ];
      return { batch: { ...pending, entries: taken }, rest: { ...emptyBatch(), entries: rest } };
    } else if (taken.length === 0) {
      taken.push(entry);
      count += size;
    } else {
      break;
    }
  }
  if (i === pending.entries.length) return { batch: pending, rest: emptyBatch() };
  return { batch: { ...pending, entries: taken }, rest: { ...emptyBatch(), entries: pending.entries.slice(i) } };
}
