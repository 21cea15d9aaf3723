import { createCalendar, type Calendar } from '../../time/calendar.js';
import type { CountRow, DeadLetterRecord, EventStore, StoredDeadLetter } from './event-store.js';
import {
  countFlux,
  deadLetterCountFlux,
  deadLetterWindowFlux,
  edgeFlux,
  eventWindowFlux,
  type SeriesFilter,
  telemetryWindowFlux,
} from './influx-flux.js';
import { createEventAppender } from './influx-event-append.js';
import { createInfluxHttp, type InfluxConnection, type InfluxHttpOptions, InfluxStoreError } from './influx-http.js';
import {
  deadLetterLine,
  deadLetterOfRow,
  eventOfRow,
  FIELDS,
  MAX_TIME_MS,
  MEASUREMENTS,
  MIN_TIME_MS,
  msOfRfc3339,
  problemWith,
  TAGS,
  telemetryLine,
  telemetryOfRow,
} from './influx-schema.js';
import { readInWindows } from './influx-windows.js';
import {
  checkInteger,
  DEAD_LETTER_LIMIT,
  EVENT_LIMIT,
  invalidQuery,
  LOCAL_DAY,
  resolveLimit,
  type StoreErrorCode,
  TELEMETRY_LIMIT,
} from './store-error.js';

export { InfluxStoreError } from './influx-http.js';
export type { InfluxConnection } from './influx-http.js';

export interface InfluxEventStoreOptions extends InfluxConnection, Partial<InfluxHttpOptions> {
  /** IANA zone whose calendar days and months the counts use (computed at query time). */
  timeZone: string;
  /** A machine's district, written as the `district` tag of its events and telemetry. */
  districtOf?: (kioskId: string) => string | undefined;
  /**
   * How far from an event's time its id is looked for before it is written. A redelivered event
   * (same id, same time) is always found; a repeated id with another time is found within this
   * window, and beyond it stored a second time. Each append scans the ids of this window around
   * its events. Default 48 h.
   */
  dedupeWindowMs?: number;
}

const DEFAULTS = {
  timeoutMs: 10_000,
  maxRetries: 3,
  minRetryDelayMs: 200,
  maxRetryDelayMs: 10_000,
  gzipThresholdBytes: 1000,
  dedupeWindowMs: 48 * 3_600_000,
} as const;

/** A dead letter's seq is its arrival time in microseconds: below 2^53 until the year 2255. */
const MAX_SEQ_RECEIVED_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/**
 * The EventStore on InfluxDB 2.x (OSS or Cloud). Schema and queries: docs/influxdb.md.
 *
 * A resolved write means InfluxDB answered 204 to every request it took; a failed one rejects with
 * STORE_WRITE_FAILED, the HTTP status and the number of points not written, after retrying 429,
 * 5xx, time-outs and broken connections (honouring Retry-After). Nothing is buffered between calls,
 * so nothing can be lost on close: the caller keeps what was not acknowledged (the collector keeps
 * it unacked, and machines resend it).
 */
export function createInfluxEventStore(options: InfluxEventStoreOptions): EventStore {
  const settings = { ...DEFAULTS, ...options };
  const calendar = openCalendar(settings.timeZone);
  const http = createInfluxHttp(settings, settings);
  const bucket = settings.bucket;
  const pending = new Set<Promise<unknown>>();
  let isClosed = false;
  const appendEvents = createEventAppender({
    http,
    bucket,
    dedupeWindowMs: settings.dedupeWindowMs,
    ...(settings.districtOf ? { districtOf: settings.districtOf } : {}),
  });
  const deadLetterSeqs = new WeakMap<DeadLetterRecord, number>();
  let lastSeq = 0;

  /** Runs `work` unless closed, as a tracked call whose failures carry a store error `code`. */
  function run<T>(code: StoreErrorCode, what: string, work: () => Promise<T>): Promise<T> {
    if (isClosed) return Promise.reject(new InfluxStoreError('STORE_CLOSED', `cannot ${what}: the store is closed`));
    const call = work().catch((error: unknown) => {
      if (error instanceof InfluxStoreError) throw error;
      throw new InfluxStoreError(code, `cannot ${what}: ${(error as Error).message}`, { cause: error });
    });
    pending.add(call);
    const forget = () => pending.delete(call);
    call.then(forget, forget);
    return call;
  }

  /** A dead letter's seq, fixed at its first write so a retried write overwrites the same point. */
  function seqOf(record: DeadLetterRecord): number {
    let seq = deadLetterSeqs.get(record);
    if (seq === undefined) {
      if (!Number.isSafeInteger(record.receivedMs) || record.receivedMs < 0 || record.receivedMs > MAX_SEQ_RECEIVED_MS) {
        throw new Error(`dead letter receivedMs must be an integer from 1970 to 2255, got ${record.receivedMs}`);
      }
      seq = Math.max(record.receivedMs * 1000, lastSeq + 1);
      lastSeq = seq;
      deadLetterSeqs.set(record, seq);
    }
    return seq;
  }

  /** The time (ms) of the first or last point of a measurement in [startMs, stopMs), if any. */
  async function findEdge(
    measurement: string,
    edge: 'first' | 'last',
    range: { startMs: number; stopMs: number },
    filter?: SeriesFilter,
    field?: string,
  ): Promise<number | undefined> {
    const [row] = await http.query(edgeFlux(bucket, range, measurement, edge, filter, field), 'find where data starts');
    return typeof row?._time === 'string' ? msOfRfc3339(row._time) : undefined;
  }

  return {
    timeZone: settings.timeZone,

    append: (records) =>
      run('STORE_WRITE_FAILED', 'append events', async () => {
        if (records.length === 0) return { inserted: [], duplicates: [], conflicts: [] };
        for (const record of records) {
          const problem = problemWith(record);
          if (problem) throw new InfluxStoreError('STORE_WRITE_FAILED', `cannot append events: ${problem}; nothing was written`);
        }
        return appendEvents(records);
      }),

    readEvents: (query) =>
      run('STORE_READ_FAILED', 'read events', async () => {
        const limit = resolveLimit(query.limit, EVENT_LIMIT);
        const isAscending = query.order !== 'desc';
        let startMs = clampTime(checkInteger(query.fromMs, 'fromMs') ?? MIN_TIME_MS);
        let stopMs = clampTime(checkInteger(query.toMs, 'toMs') ?? MAX_TIME_MS);
        const after = query.after;
        if (after !== undefined) {
          checkInteger(after.tsMs, 'after.tsMs');
          if (isAscending) startMs = Math.max(startMs, clampTime(after.tsMs));
          else stopMs = Math.min(stopMs, clampTime(after.tsMs + 1));
        }
        if (query.types?.length === 0) return [];
        const filter: SeriesFilter = {
          ...(query.kioskId === undefined ? {} : { kioskIds: [query.kioskId] }),
          ...(query.types === undefined ? {} : { types: query.types }),
        };
        const order = isAscending ? 'asc' : 'desc';
        return readInWindows({
          order,
          startMs,
          stopMs,
          limit,
          findEdge: (range) => findEdge(MEASUREMENTS.event, isAscending ? 'first' : 'last', range, filter, FIELDS.tsMs),
          readWindow: async (range, n) => {
            const window = { ...range, ...filter, order, limit: n, ...(after ? { after } : {}) } as const;
            return (await http.query(eventWindowFlux(bucket, window), 'read events')).map(eventOfRow);
          },
        });
      }),

    countByPeriod: (query) =>
      run('STORE_READ_FAILED', 'count events', async () => {
        const startMs = clampTime(startOfLocalDay(calendar, query.fromDay, 'fromDay'));
        const stopMs = clampTime(startOfLocalDay(calendar, query.toDay, 'toDay'));
        if (query.granularity !== 'day' && query.granularity !== 'month') invalidQuery('granularity must be day or month');
        if (query.kioskIds?.length === 0 || query.types?.length === 0 || startMs >= stopMs) return [];
        const byKiosk = query.byKiosk === true;
        const window = {
          startMs,
          stopMs,
          granularity: query.granularity,
          byKiosk,
          ...(query.kioskIds ? { kioskIds: query.kioskIds } : {}),
          ...(query.types ? { types: query.types } : {}),
        };
        const rows = await http.query(countFlux(bucket, calendar, window), 'count events');
        const counts = new Map<string, CountRow>();
        for (const row of rows) {
          const day = calendar.dayOf(msOfRfc3339(String(row._time)));
          const period = query.granularity === 'day' ? day : day.slice(0, 7);
          const kioskId = typeof row[TAGS.kiosk] === 'string' ? (row[TAGS.kiosk] as string) : '';
          const type = String(row[TAGS.type]);
          const key = JSON.stringify([period, byKiosk ? kioskId : '', type]);
          const count = counts.get(key) ?? { period, type, count: 0, ...(byKiosk ? { kioskId } : {}) };
          count.count += Number(row._value);
          counts.set(key, count);
        }
        return [...counts.values()].sort(compareCountRows);
      }),

    appendTelemetry: (records) =>
      run('STORE_WRITE_FAILED', 'append telemetry', async () => {
        for (const { tsMs } of records) {
          if (!Number.isSafeInteger(tsMs) || tsMs < MIN_TIME_MS || tsMs >= MAX_TIME_MS) {
            throw new Error(`telemetry tsMs must be an integer between 1970 and 2262, got ${tsMs}`);
          }
        }
        const lines = records.flatMap((r) => telemetryLine(r, settings.districtOf?.(r.kioskId)) ?? []);
        await http.writeLines(lines, 'append telemetry');
      }),

    readTelemetry: (query) =>
      run('STORE_READ_FAILED', 'read telemetry', async () => {
        const limit = resolveLimit(query.limit, TELEMETRY_LIMIT);
        const filter = { kioskIds: [query.kioskId] };
        return readInWindows({
          order: 'desc',
          startMs: clampTime(checkInteger(query.fromMs, 'fromMs') ?? MIN_TIME_MS),
          stopMs: clampTime(checkInteger(query.toMs, 'toMs') ?? MAX_TIME_MS),
          limit,
          findEdge: (range) => findEdge(MEASUREMENTS.telemetry, 'last', range, filter),
          readWindow: async (range, n) =>
            (await http.query(telemetryWindowFlux(bucket, query.kioskId, { ...range, limit: n }), 'read telemetry')).map((row) =>
              telemetryOfRow(row, query.kioskId),
            ),
        });
      }),

    appendDeadLetters: (records) =>
      run('STORE_WRITE_FAILED', 'append dead letters', async () => {
        await http.writeLines(
          records.map((r) => deadLetterLine(r, seqOf(r))),
          'append dead letters',
        );
      }),

    readDeadLetters: (query = {}) =>
      run('STORE_READ_FAILED', 'read dead letters', async () => {
        const limit = resolveLimit(query.limit, DEAD_LETTER_LIMIT);
        const beforeSeq = checkInteger(query.beforeSeq, 'beforeSeq');
        // seq is microseconds: the window ends after the millisecond holding seq beforeSeq - 1.
        const stopMs = beforeSeq === undefined ? MAX_TIME_MS : clampTime(Math.floor((beforeSeq - 1) / 1000) + 1);
        return readInWindows<StoredDeadLetter>({
          order: 'desc',
          startMs: MIN_TIME_MS,
          stopMs,
          limit,
          findEdge: (range) => findEdge(MEASUREMENTS.deadLetter, 'last', range, {}, FIELDS.seq),
          readWindow: async (range, n) => {
            const window = { ...range, limit: n, ...(beforeSeq === undefined ? {} : { beforeSeq }) };
            return (await http.query(deadLetterWindowFlux(bucket, window), 'read dead letters')).map(deadLetterOfRow);
          },
        });
      }),

    countDeadLetters: () =>
      run('STORE_READ_FAILED', 'count dead letters', async () => {
        const [row] = await http.query(
          deadLetterCountFlux(bucket, { startMs: MIN_TIME_MS, stopMs: MAX_TIME_MS }),
          'count dead letters',
        );
        return typeof row?._value === 'number' ? row._value : 0;
      }),

    async close() {
      if (isClosed) return;
      isClosed = true;
      // Calls in progress end first; waits before retries are cut short, so this takes at most
      // one request's time-out.
      http.stopRetrying();
      const outcomes = await Promise.allSettled([...pending]);
      http.close();
      const unwritten = outcomes.reduce(
        (sum, o) => sum + (o.status === 'rejected' && o.reason instanceof InfluxStoreError ? (o.reason.unwrittenPoints ?? 0) : 0),
        0,
      );
      if (unwritten > 0) {
        throw new InfluxStoreError(
          'STORE_CLOSE_FAILED',
          `closed with ${unwritten} points not written to InfluxDB: their appends were rejected, so their callers still hold them`,
          { unwrittenPoints: unwritten },
        );
      }
    },
  };
}

/** Period, then kiosk, then type, as code units (SQLite's binary order). */
function compareCountRows(a: CountRow, b: CountRow): number {
  for (const [x, y] of [
    [a.period, b.period],
    [a.kioskId ?? '', b.kioskId ?? ''],
    [a.type, b.type],
  ] as const) {
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function openCalendar(timeZone: string): Calendar {
  try {
    return createCalendar(timeZone);
  } catch (error) {
    throw new InfluxStoreError('STORE_OPEN_FAILED', `unknown time zone ${JSON.stringify(timeZone)}`, { cause: error });
  }
}

function startOfLocalDay(calendar: Calendar, day: string, name: string): number {
  const startMs = LOCAL_DAY.test(day) ? calendar.startOfDay(day) : Number.NaN;
  if (Number.isNaN(startMs)) invalidQuery(`${name} must be a local day YYYY-MM-DD, got ${JSON.stringify(day)}`);
  return startMs;
}

const clampTime = (ms: number): number => Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, ms));
