import type pg from 'pg';
import type { Logger } from 'pino';
import { migratePostgresSchema, type PostgresMigration } from '../../config/postgres-migrations.js';
import { createPostgresPool } from '../../config/postgres-pool.js';
import type { AuditEntry, AuditLog, AuditOutcome, AuditRecord } from './audit-log.js';

/** The name the audit log's schema versions are recorded under in `schema_migrations`. */
export const AUDIT_LOG_COMPONENT = 'audit-log';

/** Entries written per INSERT. */
const BATCH = 500;
/** Waits between attempts while the database refuses writes. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Entries held in memory while the database is down; beyond, new ones are dropped and counted. */
const DEFAULT_MAX_PENDING = 10_000;

const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: the log, and triggers that make the database itself refuse to change or remove an entry.
  `
  CREATE TABLE audit_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms bigint NOT NULL,
    actor text COLLATE "C" NOT NULL,
    role text,
    action text COLLATE "C" NOT NULL,
    target text,
    address text,
    outcome text NOT NULL,
    detail text
  );
  CREATE INDEX audit_by_time ON audit_log (at_ms);
  CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END
  $$;
  CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
  CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
  `,
];

export interface PostgresAuditLog extends AuditLog {
  /** Entries dropped because the database was down longer than `maxPending` entries. */
  droppedCount(): number;
  /** Writes what is pending (one last attempt), then closes the connections. */
  close(): Promise<void>;
}

interface Row {
  at_ms: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  address: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

/** PostgreSQL text cannot hold NUL; a request's detail can. */
const withoutNul = (text: string | null): string | null => text?.replaceAll('\u0000', '\uFFFD') ?? null;

/**
 * The audit log in PostgreSQL (DATABASE_URL), shared by every node. `record` cannot wait for the
 * database (it is called after responses have gone out), so entries queue in memory, in order, and
 * are written in the background within moments; while the database is down they are retried with
 * backoff, up to `maxPending` entries, and an entry beyond that is dropped, logged and counted. A
 * query first writes what is pending, so it sees every entry recorded before it (or fails while the
 * database is down). What is pending when the process dies is lost: the price of an audit log
 * that does not slow or fail the actions it records.
 */
export async function openPostgresAuditLog(options: {
  url: string;
  logger?: Logger;
  maxPending?: number;
}): Promise<PostgresAuditLog> {
  const { logger } = options;
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const pool = createPostgresPool({
    url: options.url,
    applicationName: 'kiosk-fleet audit log',
    maxConnections: 2,
    onIdleError: (error) => logger?.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool replaces it'),
  });
  try {
    await migratePostgresSchema(pool, AUDIT_LOG_COMPONENT, MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }

  const pending: AuditRecord[] = [];
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();
  let isScheduled = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let retryMs = RETRY_MIN_MS;
  let isClosed = false;

  /** Writes everything pending, oldest first; one writer at a time, so entries keep their order. */
  const write = (): Promise<void> => {
    writing = writing
      .catch(() => undefined)
      .then(async () => {
        while (pending.length > 0) {
          const batch = pending.slice(0, BATCH);
          await insert(pool, batch);
          pending.splice(0, batch.length);
        }
      });
    return writing;
  };

  const writeInBackground = () => {
    write().then(
      () => {
        retryMs = RETRY_MIN_MS;
      },
      (error: unknown) => {
        if (isClosed || retryTimer) return;
        logger?.warn({ err: error, pending: pending.length, retryMs }, 'cannot write the audit log to PostgreSQL; retrying');
        retryTimer = setTimeout(() => {
          retryTimer = null;
          writeInBackground();
        }, retryMs);
        retryTimer.unref();
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      },
    );
  };

  return {
    record(entry) {
      if (isClosed || pending.length >= maxPending) {
        dropped += 1;
        logger?.error({ entry, dropped }, 'audit entry dropped: the audit log is closed or PostgreSQL has been down too long');
        return;
      }
      pending.push(entry);
      // Entries recorded in the same turn of the event loop go in one INSERT.
      if (isScheduled || retryTimer) return;
      isScheduled = true;
      setImmediate(() => {
        isScheduled = false;
        writeInBackground();
      });
    },
    async query(q) {
      await write();
      const { rows } = await pool.query<Row>(
        `SELECT at_ms, actor, role, action, target, address, outcome, detail FROM audit_log
         WHERE at_ms >= $1 AND at_ms < $2 AND ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR action = $4)
         ORDER BY seq DESC LIMIT $5`,
        [q.fromMs ?? 0, q.toMs ?? Number.MAX_SAFE_INTEGER, q.actor ?? null, q.action ?? null, q.limit],
      );
      return rows.map(({ at_ms, ...row }): AuditEntry => ({ at: new Date(at_ms).toISOString(), ...row }));
    },
    droppedCount: () => dropped,
    async close() {
      if (isClosed) return;
      isClosed = true;
      if (retryTimer) clearTimeout(retryTimer);
      try {
        await write();
      } catch (error) {
        logger?.error({ err: error, lost: pending.length }, 'audit entries not written before closing: PostgreSQL is down');
      }
      await pool.end();
    },
  };
}

async function insert(pool: pg.Pool, entries: readonly AuditRecord[]): Promise<void> {
  await pool.query(
    `INSERT INTO audit_log (at_ms, actor, role, action, target, address, outcome, detail)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
    [
      entries.map((e) => e.atMs),
      entries.map((e) => withoutNul(e.actor)),
      entries.map((e) => withoutNul(e.role)),
      entries.map((e) => withoutNul(e.action)),
      entries.map((e) => withoutNul(e.target)),
      entries.map((e) => withoutNul(e.address)),
      entries.map((e) => e.outcome),
      entries.map((e) => withoutNul(e.detail)),
    ],
  );
}
