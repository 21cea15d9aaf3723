import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type DeadLetterRow, toStoredDeadLetter } from './dead-letter-row.js';
import type { Logger } from 'pino';
import { createPostgresPool, inTransaction } from '../../config/postgres-pool.js';
import { createCalendar, type Calendar } from '../../time/calendar.js';
import type { CountQuery, CountRow, EventQuery, EventRecord, EventStore } from './event-store.js';
import { migrate } from './postgres-schema.js';
import { EVENT_COLUMNS, type EventRow, toEventRecord } from './postgres-event-row.js';
import { followAppends, notifyAppended } from './postgres-append-feed.js';
import { appendsSince, currentSnapshot } from './postgres-appends-since.js';
import { appendDeadLetters, appendEvents, appendTelemetry, storedEvents } from './postgres-writes.js';
import {
  checkInteger,
  DEAD_LETTER_LIMIT,
  EVENT_LIMIT,
  checkCountQuery,
  MAX_DEAD_LETTERS,
  resolveLimit,
  StoreError,
  type StoreErrorCode,
  TELEMETRY_LIMIT,
} from './store-error.js';

export interface PostgresEventStoreOptions {
  /** `postgres://…`, as DATABASE_URL. */
  url: string;
  /** IANA zone whose calendar days the counts use. Fixed for the life of the database. */
  timeZone: string;
  /** Connections at most; default 10. */
  maxConnections?: number;
  /** Dead letters kept, the newest; default MAX_DEAD_LETTERS (100,000). */
  maxDeadLetters?: number;
  logger?: Logger;
}

/** The PostgreSQL store, shared by the nodes of a cluster: each can follow what the others append. */
export interface PostgresEventStore extends EventStore {
  /**
   * Hands on each batch of events another node's store appended, in commit order (this store's
   * own appends are left out: its ingest already emitted them). Until `close`.
   */
  followOtherNodes(onAppended: (records: EventRecord[]) => void): Promise<{ close(): Promise<void> }>;
}

/**
 * The EventStore on PostgreSQL (DATABASE_URL): the same tables and rules as the SQLite store, for
 * several platform nodes sharing one history. An append is one transaction: the new events and
 * their day and month counts commit together, and events already stored (by this node or another)
 * are reported as duplicates and counted nothing. Opening migrates the schema, once however many
 * nodes start together, and checks the time zone the counts were made in.
 */
export async function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  const calendar = openCalendar(options.timeZone);
  const pool = createPostgresPool({
    url: options.url,
    applicationName: 'kiosk-fleet event store',
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    onIdleError: (error) => options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool replaces it'),
  });
  try {
    await migrate(pool);
    await assertSameTimeZone(pool, calendar);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StoreError) throw error;
    throw new StoreError('STORE_OPEN_FAILED', `cannot open the PostgreSQL event store: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return storeOn(pool, calendar, options);
}

function storeOn(pool: pg.Pool, calendar: Calendar, options: PostgresEventStoreOptions): PostgresEventStore {
  const { timeZone } = options;
  const maxDeadLetters = options.maxDeadLetters ?? MAX_DEAD_LETTERS;
  // Tags this store's appends in the feed, so that it skips its own.
  const source = randomUUID();
  let isClosed = false;
  // Calls in progress: close waits for them, so every write asked before close is done first.
  const inProgress = new Set<Promise<unknown>>();

  /** Runs `work`, turning any failure into a StoreError with `code`. */
  function run<T>(code: StoreErrorCode, what: string, work: () => Promise<T>): Promise<T> {
    if (isClosed) return Promise.reject(new StoreError('STORE_CLOSED', `cannot ${what}: the store is closed`));
    const call = (async () => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof StoreError) throw error;
        throw new StoreError(code, `cannot ${what}: ${(error as Error).message}`, { cause: error });
      }
    })();
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    inProgress.add(settled);
    void settled.then(() => inProgress.delete(settled));
    return call;
  }

  return {
    timeZone,

    append: (records) =>
      run('STORE_WRITE_FAILED', 'append events', async () =>
        records.length === 0
          ? { inserted: [], duplicates: [], conflicts: [] }
          : inTransaction(pool, async (client) => {
              const result = await appendEvents(client, calendar, records, source);
              await notifyAppended(client, source, result.inserted);
              return result;
            }),
      ),

    followOtherNodes: (onAppended) =>
      followAppends({
        url: options.url,
        source,
        snapshot: () => currentSnapshot(pool),
        read: (ids) => storedEvents(pool, ids),
        readSince: (since) => appendsSince(pool, since, source),
        onAppended,
        logger: options.logger,
      }),

    readEvents: (query) =>
      run('STORE_READ_FAILED', 'read events', async () => {
        const plan = planEventRead(query);
        if (plan === undefined) return [];
        return (await pool.query<EventRow>(plan.sql, plan.params)).rows.map(toEventRecord);
      }),

    countByPeriod: (query) =>
      run('STORE_READ_FAILED', 'count events', async () => {
        const plan = planCount(query);
        if (plan === undefined) return [];
        const { rows } = await pool.query<Omit<CountRow, 'kioskId'> & { kioskId: string | null }>(plan.sql, plan.params);
        return rows.map(({ kioskId, ...row }) => (kioskId === null ? row : { ...row, kioskId }));
      }),

    appendTelemetry: (records) =>
      run('STORE_WRITE_FAILED', 'append telemetry', async () => {
        if (records.length > 0) await appendTelemetry(pool, records);
      }),

    readTelemetry: (query) =>
      run('STORE_READ_FAILED', 'read telemetry', async () => {
        const { rows } = await pool.query<{ ts_ms: number; readings: Record<string, number> }>(
          `SELECT ts_ms, readings FROM telemetry
           WHERE kiosk_id = $1 AND ts_ms >= $2 AND ts_ms < $3
           ORDER BY ts_ms DESC, seq DESC LIMIT $4`,
          [
            query.kioskId,
            checkInteger(query.fromMs, 'fromMs') ?? Number.MIN_SAFE_INTEGER,
            checkInteger(query.toMs, 'toMs') ?? Number.MAX_SAFE_INTEGER,
            resolveLimit(query.limit, TELEMETRY_LIMIT),
          ],
        );
        return rows.map((row) => ({ kioskId: query.kioskId, tsMs: row.ts_ms, readings: row.readings }));
      }),

    appendDeadLetters: (records) =>
      run('STORE_WRITE_FAILED', 'append dead letters', async () => {
        if (records.length > 0) await inTransaction(pool, (client) => appendDeadLetters(client, records, maxDeadLetters));
      }),

    readDeadLetters: (query = {}) =>
      run('STORE_READ_FAILED', 'read dead letters', async () => {
        const { rows } = await pool.query<DeadLetterRow>('SELECT * FROM dead_letters WHERE seq < $1 ORDER BY seq DESC LIMIT $2', [
          checkInteger(query.beforeSeq, 'beforeSeq') ?? Number.MAX_SAFE_INTEGER,
          resolveLimit(query.limit, DEAD_LETTER_LIMIT),
        ]);
        return rows.map(toStoredDeadLetter);
      }),

    countDeadLetters: () =>
      run(
        'STORE_READ_FAILED',
        'count dead letters',
        async () => (await pool.query<{ count: number }>('SELECT count(*) AS count FROM dead_letters')).rows[0]!.count,
      ),

    async close() {
      if (isClosed) return;
      isClosed = true;
      try {
        await Promise.all(inProgress);
        await pool.end();
      } catch (error) {
        throw new StoreError('STORE_CLOSE_FAILED', 'cannot close the PostgreSQL event store', { cause: error });
      }
    },
  };
}

function openCalendar(timeZone: string): Calendar {
  try {
    return createCalendar(timeZone);
  } catch (error) {
    throw new StoreError('STORE_OPEN_FAILED', `unknown time zone ${JSON.stringify(timeZone)}`, { cause: error });
  }
}

/** Daily counts are only meaningful in the zone they were computed in: refuse a different one. */
async function assertSameTimeZone(pool: pg.Pool, calendar: Calendar): Promise<void> {
  const zone = new Intl.DateTimeFormat('en-US', { timeZone: calendar.timeZone }).resolvedOptions().timeZone;
  await pool.query(`INSERT INTO event_store_meta (key, value) VALUES ('time_zone', $1) ON CONFLICT DO NOTHING`, [zone]);
  const { rows } = await pool.query<{ value: string }>(`SELECT value FROM event_store_meta WHERE key = 'time_zone'`);
  const stored = rows[0]!.value;
  if (stored !== zone) {
    throw new StoreError(
      'STORE_TIME_ZONE_MISMATCH',
      `the PostgreSQL event store counts days in ${stored}, not ${zone}: open it with timeZone ${JSON.stringify(stored)}`,
    );
  }
}

interface ReadPlan {
  sql: string;
  params: unknown[];
}

/** Collects positional parameters: `add(value)` is the placeholder to write in the SQL. */
function parameters(): { params: unknown[]; add(value: unknown): string } {
  const params: unknown[] = [];
  return { params, add: (value) => `$${params.push(value)}` };
}

/** SQL for one event query; `undefined` when the query cannot match anything (empty `types`). */
function planEventRead(query: EventQuery): ReadPlan | undefined {
  const isAscending = query.order !== 'desc';
  let fromMs = checkInteger(query.fromMs, 'fromMs');
  let toMs = checkInteger(query.toMs, 'toMs');
  const afterTsMs = checkInteger(query.after?.tsMs, 'after.tsMs');
  const limit = resolveLimit(query.limit, EVENT_LIMIT);
  if (query.types?.length === 0) return undefined;
  // The cursor also narrows the time range, so every page starts with an index seek.
  if (afterTsMs !== undefined && isAscending) fromMs = Math.max(fromMs ?? afterTsMs, afterTsMs);
  if (afterTsMs !== undefined && !isAscending) toMs = Math.min(toMs ?? afterTsMs + 1, afterTsMs + 1);
  const { params, add } = parameters();
  const where: string[] = [];
  if (fromMs !== undefined) where.push(`ts_ms >= ${add(fromMs)}`);
  if (toMs !== undefined) where.push(`ts_ms < ${add(toMs)}`);
  if (query.kioskId !== undefined) where.push(`kiosk_id = ${add(query.kioskId)}`);
  if (query.after !== undefined) {
    where.push(`(ts_ms, id) ${isAscending ? '>' : '<'} (${add(query.after.tsMs)}, ${add(query.after.id)})`);
  }
  if (query.types !== undefined) {
    where.push(query.types.length === 1 ? `type = ${add(query.types[0])}` : `type = ANY(${add(query.types)}::text[])`);
  }
  const direction = isAscending ? 'ASC' : 'DESC';
  const sql =
    `SELECT ${EVENT_COLUMNS} FROM events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
    ` ORDER BY ts_ms ${direction}, id ${direction} LIMIT ${add(limit)}`;
  return { sql, params };
}

/** SQL over the rollups only; `undefined` when a filter is an empty list. */
function planCount(query: CountQuery): ReadPlan | undefined {
  checkCountQuery(query);
  if (query.kioskIds?.length === 0 || query.types?.length === 0) return undefined;
  // Whole months come from the monthly rollup; a range cutting a month needs the daily one.
  const isWholeMonths = query.granularity === 'month' && query.fromDay.endsWith('-01') && query.toDay.endsWith('-01');
  const rollup = isWholeMonths
    ? { table: 'monthly_counts', column: 'month', length: 7 }
    : { table: 'daily_counts', column: 'day', length: 10 };
  const { params, add } = parameters();
  const where = [
    `${rollup.column} >= ${add(query.fromDay.slice(0, rollup.length))}`,
    `${rollup.column} < ${add(query.toDay.slice(0, rollup.length))}`,
  ];
  if (query.kioskIds !== undefined) where.push(`kiosk_id = ANY(${add(query.kioskIds)}::text[])`);
  if (query.types !== undefined) where.push(`type = ANY(${add(query.types)}::text[])`);
  const period = `substr(${rollup.column}, 1, ${query.granularity === 'day' ? 10 : 7})`;
  const kiosk = query.byKiosk ? 'kiosk_id' : 'NULL::text';
  const sql =
    `SELECT ${period} AS period, ${kiosk} AS "kioskId", type, sum(count)::bigint AS count FROM ${rollup.table}` +
    ` WHERE ${where.join(' AND ')} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  return { sql, params };
}
