import { afterAll, beforeAll } from 'vitest';
import { type PostgresCluster, postgresMissingReason, startPostgresCluster, type TestPostgres } from './postgres-server.js';

// The server's starter lives in ./postgres-server.ts (no vitest, so benches use it too).
export * from './postgres-server.js';

/**
 * Whether a PostgreSQL-backed suite is skipped: only when the server is missing outside CI. In CI
 * (`CI` set) a missing server fails the suite in its beforeAll instead, so it cannot pass unrun.
 */
export const skipWithoutPostgres = postgresMissingReason !== undefined && !process.env.CI;
if (skipWithoutPostgres) console.warn(`PostgreSQL tests skipped: ${postgresMissingReason}`);

/**
 * Starts a PostgreSQL cluster in beforeAll of the enclosing describe and removes it in afterAll,
 * even when a test or the start failed. Use inside `describe.skipIf(skipWithoutPostgres)(…)`; in
 * CI a missing PostgreSQL fails beforeAll, so the suite cannot pass without running.
 */
export function usePostgres(): TestPostgres {
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  const started = (): PostgresCluster => {
    if (!cluster) throw new Error('the PostgreSQL cluster is not running (beforeAll failed or has not run)');
    return cluster;
  };
  return {
    get port() {
      return started().port;
    },
    get adminUrl() {
      return started().adminUrl;
    },
    psql: (sql, database) => started().psql(sql, database),
    createDatabase: (options) => started().createDatabase(options),
    stopServer: () => started().stopServer(),
    startServer: () => started().startServer(),
  };
}
