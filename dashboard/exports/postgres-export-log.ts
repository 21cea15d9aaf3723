import type pg from 'pg';
import type { Logger } from 'pino';
import type { LocalMonth } from '../../time/calendar.js';
import type { FirstExport } from '../../collector/domain/circulation.js';
import { migratePostgresSchema, type PostgresMigration } from '../../config/postgres-migrations.js';
import { createPostgresPool, inTransaction } from '../../config/postgres-pool.js';
import type { ExportedMonth, ExportLog } from './export-log.js';

/** The name the export log's schema versions are recorded under in `schema_migrations`. */
export const EXPORT_LOG_COMPONENT = 'export-log';

const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: first and latest export per report scope and month.
  `
  CREATE TABLE report_exports (
    scope text COLLATE "C" NOT NULL,
    month text COLLATE "C" NOT NULL,
    first_loans bigint NOT NULL,
    first_returns bigint NOT NULL,
    first_exported_ms bigint NOT NULL,
    last_loans bigint NOT NULL,
    last_returns bigint NOT NULL,
    last_exported_ms bigint NOT NULL,
    PRIMARY KEY (scope, month)
  );
  `,
];

interface FirstRow {
  month: string;
  first_loans: number;
  first_returns: number;
  first_exported_ms: number;
}

const toFirstExports = (rows: readonly FirstRow[]): Map<LocalMonth, FirstExport> =>
  new Map(
    rows.map((row) => [
      row.month,
      {
        figures: { loans: row.first_loans, returns: row.first_returns, total: row.first_loans + row.first_returns },
        exportedMs: row.first_exported_ms,
      },
    ]),
  );

/**
 * The export log in PostgreSQL (DATABASE_URL), shared by every node. Recording is one transaction:
 * months exported for the first time are inserted, the others get their latest figures and give
 * back their first export. A month two nodes export at once is inserted by one of them; the other
 * waits for it and sees it as an earlier export.
 */
export async function openPostgresExportLog(options: { url: string; logger?: Logger }): Promise<ExportLog> {
  const pool = createPostgresPool({
    url: options.url,
    applicationName: 'kiosk-fleet export log',
    // Exports are rare and one statement each: two connections are plenty.
    maxConnections: 2,
    onIdleError: (error) => options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool replaces it'),
  });
  try {
    await migratePostgresSchema(pool, EXPORT_LOG_COMPONENT, MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return Object.freeze({
    recordExport: async (scope: string, rows: readonly ExportedMonth[], atMs: number) =>
      rows.length === 0 ? new Map<LocalMonth, FirstExport>() : recordExport(pool, scope, rows, atMs),
    async firstExports(scope: string, months: readonly LocalMonth[]) {
      if (months.length === 0) return new Map<LocalMonth, FirstExport>();
      const { rows } = await pool.query<FirstRow>(
        `SELECT month, first_loans, first_returns, first_exported_ms FROM report_exports
         WHERE scope = $1 AND month = ANY($2::text[])`,
        [scope, months],
      );
      return toFirstExports(rows);
    },
    close: () => pool.end(),
  });
}

async function recordExport(
  pool: pg.Pool,
  scope: string,
  rows: readonly ExportedMonth[],
  atMs: number,
): Promise<Map<LocalMonth, FirstExport>> {
  // Sorted, so two nodes recording overlapping months lock them in one order.
  const months = [...new Map(rows.map((row) => [row.month, row])).values()].sort((a, b) => (a.month < b.month ? -1 : 1));
  const columns = [months.map((r) => r.month), months.map((r) => r.loans), months.map((r) => r.returns)];
  return inTransaction(pool, async (client) => {
    const inserted = await client.query<{ month: string }>(
      `INSERT INTO report_exports
       SELECT $1, month, loans, returns, $2, loans, returns, $2 FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS m (month, loans, returns)
       ON CONFLICT (scope, month) DO NOTHING RETURNING month`,
      [scope, atMs, ...columns],
    );
    const isNew = new Set(inserted.rows.map((row) => row.month));
    const earlier = months.filter((row) => !isNew.has(row.month));
    if (earlier.length === 0) return new Map<LocalMonth, FirstExport>();
    const updated = await client.query<FirstRow>(
      `UPDATE report_exports AS e SET last_loans = m.loans, last_returns = m.returns, last_exported_ms = $2
       FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS m (month, loans, returns)
       WHERE e.scope = $1 AND e.month = m.month
       RETURNING e.month, e.first_loans, e.first_returns, e.first_exported_ms`,
      [scope, atMs, earlier.map((r) => r.month), earlier.map((r) => r.loans), earlier.map((r) => r.returns)],
    );
    return toFirstExports(updated.rows);
  });
}
