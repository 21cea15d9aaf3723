import { ensurePrivateDir, ensurePrivateFile } from '../../config/private-files.js';
import { type DeadLetterRow, toStoredDeadLetter } from './dead-letter-row.js';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createCalendar, type Calendar } from '../../time/calendar.js';
import type { CountQuery, EventQuery, EventRecord, EventStore } from './event-store.js';
import type { RetentionCutoffs } from '../domain/retention-policy.js';
import type { RetentionStep } from './sqlite-retention.js';
import { migrate } from './sqlite-schema.js';
import { type EventRowOf, recordOfRow } from './event-row.js';
import { startSqliteWriter } from './sqlite-writer.js';
import { openConnection } from './sqlite-writes.js';
import {
  checkInteger,
  DEAD_LETTER_LIMIT,
  EVENT_LIMIT,
  checkCountQuery,
  resolveLimit,
  StoreError,
  type StoreErrorCode,
  TELEMETRY_LIMIT,
} from './store-error.js';

export interface SqliteEventStoreOptions {
  /** Path of the database file; missing parent directories are created. `:memory:` for tests. */
  file: string;
  /** IANA zone whose calendar days the counts use. Fixed for the life of the file. */
  timeZone: string;
  /**
   * `FULL` (default): a resolved append survives power loss, which the collector's acks rely on.
   * `NORMAL`: in WAL mode the last commits can be lost on power loss (never corrupted).
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/** What one run of retention removed (or folded), summed over its steps. */
export type RetentionTotals = Omit<RetentionStep, 'isDone'>;

/** The SQLite store also keeps its own disk bounded: retention runs on its writer thread. */
export interface SqliteEventStore extends EventStore {
  /**
   * Applies the cutoffs in short steps (each its own transaction, appends interleaved) until
   * nothing is left to do. Telemetry read back for a folded hour is its hourly mean, stamped at
   * the start of the hour.
   */
  applyRetention(cutoffs: RetentionCutoffs): Promise<RetentionTotals>;
}

/** SQLite keeps `data` as JSON text. */
type EventRow = EventRowOf<string>;

interface CountSqlRow {
  period: string;
  kioskId: string | null;
  type: string;
  count: number;
}

/**
 * The default EventStore: one SQLite file in WAL mode, counts kept per local day and month at
 * append time. Appends run on a writer thread with its own connection (sqlite-writer.ts), so
 * commits and their fsyncs do not hold up the event loop; reads use this thread's connection,
 * and see every append that has resolved (WAL: a read sees each commit made before it began).
 */
export function createSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  const calendar = openCalendar(options.timeZone);
  const db = openDatabase(options, calendar);
  const statements = prepareStatements(db);
  const readStatements = new Map<string, Database.Statement>();
  const writer = startSqliteWriter({ file: options.file, timeZone: calendar.timeZone, synchronous: options.synchronous });
  let isClosed = false;

  /** Runs `work` against the open database, turning any failure into a StoreError with `code`. */
  async function run<T>(code: StoreErrorCode, what: string, work: () => T | Promise<T>): Promise<T> {
    if (isClosed) throw new StoreError('STORE_CLOSED', `cannot ${what}: the store is closed`);
    try {
      return await work();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(code, `cannot ${what}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Statements for the read shapes actually used, prepared once each. */
  function statementFor(sql: string): Database.Statement {
    let statement = readStatements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      readStatements.set(sql, statement);
    }
    return statement;
  }

  return {
    timeZone: options.timeZone,

    append: (records) =>
      run('STORE_WRITE_FAILED', 'append events', () =>
        records.length === 0 ? { inserted: [], duplicates: [], conflicts: [] } : writer.appendEvents(records),
      ),

    readEvents: (query) =>
      run('STORE_READ_FAILED', 'read events', () => {
        const plan = planEventRead(query);
        if (plan === undefined) return [];
        return (statementFor(plan.sql).all(plan.params) as EventRow[]).map(toEventRecord);
      }),

    countByPeriod: (query) =>
      run('STORE_READ_FAILED', 'count events', () => {
        const plan = planCount(query);
        if (plan === undefined) return [];
        const rows = statementFor(plan.sql).all(plan.params) as CountSqlRow[];
        return rows.map(({ kioskId, ...row }) => (kioskId === null ? row : { ...row, kioskId }));
      }),

    appendTelemetry: (records) =>
      run('STORE_WRITE_FAILED', 'append telemetry', () => {
        if (records.length > 0) return writer.appendTelemetry(records);
      }),

    readTelemetry: (query) =>
      run('STORE_READ_FAILED', 'read telemetry', () => {
        const rows = statements.readTelemetry.all({
          kioskId: query.kioskId,
          fromMs: checkInteger(query.fromMs, 'fromMs') ?? Number.MIN_SAFE_INTEGER,
          toMs: checkInteger(query.toMs, 'toMs') ?? Number.MAX_SAFE_INTEGER,
          limit: resolveLimit(query.limit, TELEMETRY_LIMIT),
        }) as Array<{ ts_ms: number; readings: string }>;
        return rows.map((row) => ({
          kioskId: query.kioskId,
          tsMs: row.ts_ms,
          readings: JSON.parse(row.readings) as Record<string, number>,
        }));
      }),

    appendDeadLetters: (records) =>
      run('STORE_WRITE_FAILED', 'append dead letters', () => {
        if (records.length > 0) return writer.appendDeadLetters(records);
      }),

    readDeadLetters: (query = {}) =>
      run('STORE_READ_FAILED', 'read dead letters', () => {
        const rows = statements.readDeadLetters.all({
          beforeSeq: checkInteger(query.beforeSeq, 'beforeSeq') ?? Number.MAX_SAFE_INTEGER,
          limit: resolveLimit(query.limit, DEAD_LETTER_LIMIT),
        }) as DeadLetterRow[];
        return rows.map(toStoredDeadLetter);
      }),

    countDeadLetters: () => run('STORE_READ_FAILED', 'count dead letters', () => statements.countDeadLetters.get() as number),

    applyRetention: (cutoffs) =>
      run('STORE_WRITE_FAILED', 'apply retention', async () => {
        const totals: RetentionTotals = {
          telemetryDownsampled: 0,
          telemetryHourlyDeleted: 0,
          deadLettersDeleted: 0,
          eventsDeleted: 0,
        };
        for (;;) {
          if (isClosed) return totals;
          const { isDone, ...step } = await writer.retentionStep(cutoffs);
          for (const key of Object.keys(totals) as (keyof RetentionTotals)[]) totals[key] += step[key];
          if (isDone) return totals;
        }
      }),

    async close() {
      if (isClosed) return;
      isClosed = true;
      try {
        try {
          // Every write asked before close is done first: close drains.
          await writer.close();
        } finally {
          // Keeps the planner's statistics current, as SQLite advises before closing a connection.
          try {
            db.pragma('optimize');
          } finally {
            db.close();
          }
        }
      } catch (error) {
        throw new StoreError('STORE_CLOSE_FAILED', `cannot close ${options.file}`, { cause: error });
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

function openDatabase(options: SqliteEventStoreOptions, calendar: Calendar): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (options.file !== ':memory:') {
      ensurePrivateDir(dirname(options.file));
      ensurePrivateFile(options.file);
    }
    // Created here (the writer's connection requires the file), then used for reads.
    new Database(options.file).close();
    db = openConnection(options.file, options.synchronous);
    migrate(db);
    assertSameTimeZone(db, options.file, calendar);
    // Bounded statistics refresh for a long-lived connection (https://sqlite.org/pragma.html#pragma_optimize).
    db.pragma('optimize = 0x10002');
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError('STORE_OPEN_FAILED', `cannot open ${options.file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Daily counts are only meaningful in the zone they were computed in: refuse a different one. */
function assertSameTimeZone(db: Database.Database, file: string, calendar: Calendar): void {
  const zone = new Intl.DateTimeFormat('en-US', { timeZone: calendar.timeZone }).resolvedOptions().timeZone;
  db.prepare(`INSERT INTO meta (key, value) VALUES ('time_zone', ?) ON CONFLICT DO NOTHING`).run(zone);
  const stored = db.prepare(`SELECT value FROM meta WHERE key = 'time_zone'`).pluck().get() as string;
  if (stored !== zone) {
    throw new StoreError(
      'STORE_TIME_ZONE_MISMATCH',
      `${file} counts days in ${stored}, not ${zone}: open it with timeZone ${JSON.stringify(stored)}`,
    );
  }
}

function prepareStatements(db: Database.Database) {
  return {
    // Raw readings and, for hours past raw retention, their hourly means; a late raw reading for
    // a folded hour comes first. Both sides are read in index order and merged (no sort).
    readTelemetry: db.prepare(
      `SELECT ts_ms, readings FROM (
         SELECT ts_ms, readings, rowid AS n FROM telemetry
         WHERE kiosk_id = @kioskId AND ts_ms >= @fromMs AND ts_ms < @toMs
         UNION ALL
         SELECT hour_ms, readings, 0 FROM telemetry_hourly
         WHERE kiosk_id = @kioskId AND hour_ms >= @fromMs AND hour_ms < @toMs
       ) ORDER BY ts_ms DESC, n DESC LIMIT @limit`,
    ),
    readDeadLetters: db.prepare(`SELECT * FROM dead_letters WHERE seq < @beforeSeq ORDER BY seq DESC LIMIT @limit`),
    countDeadLetters: db.prepare(`SELECT count(*) FROM dead_letters`).pluck(),
  };
}

interface ReadPlan {
  sql: string;
  params: Record<string, string | number>;
}

/** SQL for one event query; `undefined` when the query cannot match anything (empty `types`). */
function planEventRead(query: EventQuery): ReadPlan | undefined {
  const isAscending = query.order !== 'desc';
  let fromMs = checkInteger(query.fromMs, 'fromMs');
  let toMs = checkInteger(query.toMs, 'toMs');
  const afterTsMs = checkInteger(query.after?.tsMs, 'after.tsMs');
  // The cursor also narrows the time range, so every page starts with an index seek instead of
  // skipping the pages before it.
  if (afterTsMs !== undefined && isAscending) fromMs = Math.max(fromMs ?? afterTsMs, afterTsMs);
  if (afterTsMs !== undefined && !isAscending) toMs = Math.min(toMs ?? afterTsMs + 1, afterTsMs + 1);
  const where: string[] = [];
  const params: ReadPlan['params'] = { limit: resolveLimit(query.limit, EVENT_LIMIT) };
  const conditions = [
    ['ts_ms >= @fromMs', 'fromMs', fromMs],
    ['ts_ms < @toMs', 'toMs', toMs],
    ['kiosk_id = @kioskId', 'kioskId', query.kioskId],
    [`(ts_ms, id) ${isAscending ? '>' : '<'} (@afterTsMs, @afterId)`, 'afterId', query.after?.id],
  ] as const;
  for (const [condition, name, value] of conditions) {
    if (value === undefined) continue;
    where.push(condition);
    params[name] = value;
  }
  if (query.after !== undefined) params.afterTsMs = query.after.tsMs;
  // Several types: `+type` keeps the planner on the time-ordered indexes (stop after `limit` rows)
  // rather than collecting every row of those types from events_by_type_time and sorting them.
  const types = filterClause(query.types?.length === 1 ? 'type' : '+type', query.types, 'types');
  if (types === 'nothing') return undefined;
  if (types) {
    where.push(types.clause);
    Object.assign(params, types.params);
  }
  const direction = isAscending ? 'ASC' : 'DESC';
  const sql =
    `SELECT * FROM events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
    ` ORDER BY ts_ms ${direction}, id ${direction} LIMIT @limit`;
  return { sql, params };
}

/** SQL over the rollups only; `undefined` when a filter is an empty list. */
function planCount(query: CountQuery): ReadPlan | undefined {
  checkCountQuery(query);
  // Whole months come from the monthly rollup; a range cutting a month needs the daily one.
  const isWholeMonths = query.granularity === 'month' && query.fromDay.endsWith('-01') && query.toDay.endsWith('-01');
  const rollup = isWholeMonths
    ? { table: 'monthly_counts', column: 'month', length: 7 }
    : { table: 'daily_counts', column: 'day', length: 10 };
  const where = [`${rollup.column} >= @fromDay`, `${rollup.column} < @toDay`];
  const params: ReadPlan['params'] = {
    fromDay: query.fromDay.slice(0, rollup.length),
    toDay: query.toDay.slice(0, rollup.length),
  };
  for (const [column, values, name] of [
    ['kiosk_id', query.kioskIds, 'kioskIds'],
    ['type', query.types, 'types'],
  ] as const) {
    const filter = filterClause(column, values, name);
    if (filter === 'nothing') return undefined;
    if (filter) {
      where.push(filter.clause);
      Object.assign(params, filter.params);
    }
  }
  const period = `substr(${rollup.column}, 1, ${query.granularity === 'day' ? 10 : 7})`;
  const kiosk = query.byKiosk ? 'kiosk_id' : 'NULL';
  const groups = query.byKiosk ? 'period, kiosk_id, type' : 'period, type';
  const sql =
    `SELECT ${period} AS period, ${kiosk} AS kioskId, type, sum(count) AS count FROM ${rollup.table}` +
    ` WHERE ${where.join(' AND ')} GROUP BY ${groups} ORDER BY ${groups}`;
  return { sql, params };
}

/**
 * `column = @name` for one value (lets an index on the column deliver rows in order), a lookup in a
 * JSON array for several (one prepared statement whatever their number), 'nothing' for none.
 */
function filterClause(
  column: string,
  values: readonly string[] | undefined,
  name: string,
): { clause: string; params: Record<string, string> } | 'nothing' | undefined {
  if (values === undefined) return undefined;
  if (values.length === 0) return 'nothing';
  if (values.length === 1) return { clause: `${column} = @${name}`, params: { [name]: values[0]! } };
  return { clause: `${column} IN (SELECT value FROM json_each(@${name}))`, params: { [name]: JSON.stringify(values) } };
}

function toEventRecord(row: EventRow): EventRecord {
  return recordOfRow(row, JSON.parse(row.data) as Record<string, unknown>);
}
