import { isSameEvent } from './event-identity.js';
import type { AppendResult, EventRecord, IdConflict } from './event-store.js';
import { storedEventsFlux, storedIdsFlux } from './influx-flux.js';
import type { InfluxHttp } from './influx-http.js';
import { eventLine, eventOfRow, eventTimeNs, MAX_TIME_MS, MIN_TIME_MS, nsOfRfc3339 } from './influx-schema.js';

export interface EventAppenderOptions {
  http: InfluxHttp;
  bucket: string;
  /** How far from an event's time its id is looked for (see InfluxEventStoreOptions). */
  dedupeWindowMs: number;
  districtOf?: (kioskId: string) => string | undefined;
}

/** Ids per existence query, so the Flux text stays small. */
const LOOKUP_IDS = 500;
/**
 * Time the events of one existence query may span, at least: each query scans the dedupe window
 * on both sides anyway, so spanning as much again costs little more than one query per hour would.
 */
const MIN_LOOKUP_SPAN_MS = 3_600_000;
/** Ids remembered from failed writes (see `inDoubt`); beyond this the oldest are forgotten. */
const MAX_IN_DOUBT = 100_000;

/**
 * Appends idempotent on event id, on a store that has no unique keys. The same event always lands
 * on the same point (its time plus a hash of its id), so a redelivery overwrites itself and is
 * never counted twice; and the ids of a batch are looked up before writing, so each append reports
 * what it inserted and what was there already, and an id repeated with another time is not stored
 * twice (within the dedupe window).
 */
export function createEventAppender(options: EventAppenderOptions): (records: readonly EventRecord[]) => Promise<AppendResult> {
  const { http, bucket } = options;
  /** Appends run one at a time, so the lookup and the write of one are not interleaved. */
  let queue: Promise<unknown> = Promise.resolve();
  /**
   * Ids of events whose write failed. InfluxDB may have stored them even so (a time-out after the
   * write, a partial write): when a later append finds one stored, it reports it inserted, since no
   * append resolved with it and the caller has not seen it stored.
   */
  const inDoubt = new Set<string>();

  async function appendNow(records: readonly EventRecord[]): Promise<AppendResult> {
    const firsts = new Map<string, EventRecord>();
    for (const r of records) if (!firsts.has(r.id)) firsts.set(r.id, r);
    const { storedIds, takenNs } = await findStored([...firsts.values()]);
    const fresh = [...firsts.values()].filter((r) => !storedIds.has(r.id));
    const lines = fresh.map((r) => eventLine(r, eventTimeNs(r, takenNs), options.districtOf?.(r.kioskId)));
    try {
      await http.writeLines(lines, 'append events');
    } catch (error) {
      for (const r of fresh) rememberInDoubt(r.id);
      throw error;
    }
    const newlyStored = new Set(fresh.map((r) => r.id));
    for (const id of newlyStored) inDoubt.delete(id);
    for (const id of storedIds) if (inDoubt.delete(id)) newlyStored.add(id);
    // What each id now stands for: the stored event, or the first of this batch just written.
    const standing = await storedVersions(
      [...firsts.values()].filter((r) => storedIds.has(r.id)),
      new Map(fresh.map((r) => [r.id, r])),
    );
    const result: AppendResult = { inserted: [], duplicates: [], conflicts: [] };
    const seen = new Set<string>();
    for (const record of records) {
      const { id } = record;
      const isFirst = !seen.has(id);
      seen.add(id);
      if (isFirst && newlyStored.has(id)) {
        result.inserted.push(id);
        continue;
      }
      const stored = standing.get(id);
      if (stored === undefined || isSameEvent(stored, record)) result.duplicates.push(id);
      else result.conflicts.push({ id, stored, refused: record } satisfies IdConflict);
    }
    return result;
  }

  /** The stored events behind these ids (read back in full), plus the ones just written. */
  async function storedVersions(
    found: readonly EventRecord[],
    written: Map<string, EventRecord>,
  ): Promise<Map<string, EventRecord>> {
    const versions = new Map(written);
    const byTime = [...found].sort((a, b) => a.tsMs - b.tsMs);
    for (let start = 0; start < byTime.length; start += LOOKUP_IDS) {
      const chunk = byTime.slice(start, start + LOOKUP_IDS);
      const range = {
        startMs: Math.max(MIN_TIME_MS, chunk[0]!.tsMs - options.dedupeWindowMs),
        stopMs: Math.min(MAX_TIME_MS, chunk.at(-1)!.tsMs + options.dedupeWindowMs + 1),
      };
      const rows = await http.query(
        storedEventsFlux(
          bucket,
          range,
          chunk.map((r) => r.id),
        ),
        'read stored events',
      );
      for (const row of rows) {
        const stored = eventOfRow(row);
        if (!versions.has(stored.id)) versions.set(stored.id, stored);
      }
    }
    return versions;
  }

  function rememberInDoubt(id: string): void {
    inDoubt.delete(id);
    inDoubt.add(id);
    for (const oldest of inDoubt) {
      if (inDoubt.size <= MAX_IN_DOUBT) break;
      inDoubt.delete(oldest);
    }
  }

  /** Which of these events are stored, and which nanoseconds their milliseconds already use. */
  async function findStored(records: readonly EventRecord[]): Promise<{ storedIds: Set<string>; takenNs: Set<bigint> }> {
    const storedIds = new Set<string>();
    const takenNs = new Set<bigint>();
    const wanted = new Set(records.map((r) => r.id));
    const byTime = [...records].sort((a, b) => a.tsMs - b.tsMs);
    const spanMs = Math.max(MIN_LOOKUP_SPAN_MS, options.dedupeWindowMs);
    for (let start = 0; start < byTime.length;) {
      const first = byTime[start]!;
      let end = start + 1;
      while (end < byTime.length && end - start < LOOKUP_IDS && byTime[end]!.tsMs - first.tsMs <= spanMs) end++;
      const chunk = byTime.slice(start, end);
      const range = {
        startMs: Math.max(MIN_TIME_MS, first.tsMs - options.dedupeWindowMs),
        stopMs: Math.min(MAX_TIME_MS, chunk.at(-1)!.tsMs + options.dedupeWindowMs + 1),
      };
      const msList = [...new Set(chunk.map((r) => r.tsMs))];
      const flux = storedIdsFlux(
        bucket,
        range,
        chunk.map((r) => r.id),
        msList,
      );
      for (const row of await http.query(flux, 'look up stored events')) {
        if (typeof row._value === 'string' && wanted.has(row._value)) storedIds.add(row._value);
        if (typeof row._time === 'string') takenNs.add(nsOfRfc3339(row._time));
      }
      start = end;
    }
    return { storedIds, takenNs };
  }

  return (records) => {
    const call = queue.then(() => appendNow(records));
    queue = call.catch(() => undefined);
    return call;
  };
}
