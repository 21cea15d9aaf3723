import pg from 'pg';

/** How long opening a connection may take before it fails (and an append goes to the spool). */
const CONNECT_TIMEOUT_MS = 10_000;
/** The server cancels a statement running longer: a stuck append fails and is spooled, not awaited forever. */
const STATEMENT_TIMEOUT_MS = 60_000;

/**
 * `bigint` columns hold epoch milliseconds and counts, all below 2^53: read them as numbers, not
 * as pg's default strings. A value past that range is an error rather than a silently rounded number.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid !== pg.types.builtins.INT8 || format === 'binary') return pg.types.getTypeParser(oid, format);
    return (value: string) => {
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} is beyond the safe integer range`);
      return n;
    };
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresPoolOptions {
  /** `postgres://user:password@host:port/database`, as DATABASE_URL. */
  url: string;
  /** Shown in pg_stat_activity: which part of the platform holds a connection. */
  applicationName: string;
  /** Connections at most; default 10. */
  maxConnections?: number;
  /** Told about a connection that failed while idle in the pool (the pool drops it and carries on). */
  onIdleError?: (error: Error) => void;
}

/**
 * A connection pool to DATABASE_URL with the platform's settings. An idle connection that fails
 * (server restarted, network cut) is reported through `onIdleError` instead of crashing the
 * process, which is what pg does with an unhandled pool 'error' event.
 */
export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    application_name: options.applicationName,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    // Detects a server gone without a word (host down, link cut) on idle connections.
    keepAlive: true,
    types: TYPES,
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

/**
 * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it
 * throws. A connection that failed, or whose rollback failed, is discarded rather than reused.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The pool listens for errors only on idle connections: a connection lost between two statements
  // of the transaction would otherwise be an unhandled 'error' event, which ends the process. The
  // next statement fails, and the connection is discarded.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
