import { ensurePrivateDir, ensurePrivateFile } from '../../config/private-files.js';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { LocalMonth } from '../../collector/domain/calendar.js';
import type { CirculationFigures, FirstExport, MonthCirculation } from '../../collector/domain/circulation.js';

/**
 * What the platform has handed out per report scope and month: the figures of the first export (the
 * ones a manager may have filed) and of the latest. Platform state, not event history: it lives in
 * its own SQLite file (`reports.sqlite` in the data directory).
 */
export interface ExportLog {
  /**
   * Records the months of one export and returns, for each of them already exported before, its
   * first export. A month's first export is never overwritten; its latest one is.
   */
  recordExport(
    scope: string,
    rows: readonly Pick<MonthCirculation, 'month' | 'loans' | 'returns'>[],
    atMs: number,
  ): Map<LocalMonth, FirstExport>;
  /** The first export of each of these months that has been exported, without recording anything. */
  firstExports(scope: string, months: readonly LocalMonth[]): Map<LocalMonth, FirstExport>;
  close(): void;
}

interface Row {
  month: string;
  first_loans: number;
  first_returns: number;
  first_exported_ms: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS report_exports (
    scope TEXT NOT NULL,
    month TEXT NOT NULL,
    first_loans INTEGER NOT NULL,
    first_returns INTEGER NOT NULL,
    first_exported_ms INTEGER NOT NULL,
    last_loans INTEGER NOT NULL,
    last_returns INTEGER NOT NULL,
    last_exported_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, month)
  ) STRICT, WITHOUT ROWID;
`;

const figures = (loans: number, returns: number): CirculationFigures => ({ loans, returns, total: loans + returns });

/** Opens (creating if needed) the export log; `:memory:` keeps it for the life of the process. */
export function openExportLog(file: string): ExportLog {
  if (file !== ':memory:') {
    ensurePrivateDir(dirname(file));
    ensurePrivateFile(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const select = db.prepare<[string, string], Row>(
    `SELECT month, first_loans, first_returns, first_exported_ms FROM report_exports
     WHERE scope = ? AND month IN (SELECT value FROM json_each(?))`,
  );
  const upsert = db.prepare(
    `INSERT INTO report_exports VALUES (@scope, @month, @loans, @returns, @atMs, @loans, @returns, @atMs)
     ON CONFLICT (scope, month) DO UPDATE SET
       last_loans = excluded.last_loans, last_returns = excluded.last_returns, last_exported_ms = excluded.last_exported_ms`,
  );

  const firstExports = (scope: string, months: readonly LocalMonth[]) =>
    new Map(
      select
        .all(scope, JSON.stringify(months))
        .map((row) => [row.month, { figures: figures(row.first_loans, row.first_returns), exportedMs: row.first_exported_ms }]),
    );
  const recordExport = db.transaction(
    (scope: string, rows: readonly Pick<MonthCirculation, 'month' | 'loans' | 'returns'>[], atMs: number) => {
      const earlier = firstExports(
        scope,
        rows.map((row) => row.month),
      );
      for (const row of rows) upsert.run({ scope, month: row.month, loans: row.loans, returns: row.returns, atMs });
      return earlier;
    },
  );

  return Object.freeze({
    recordExport: (scope: string, rows: readonly Pick<MonthCirculation, 'month' | 'loans' | 'returns'>[], atMs: number) =>
      rows.length === 0 ? new Map<LocalMonth, FirstExport>() : recordExport.immediate(scope, rows, atMs),
    firstExports: (scope: string, months: readonly LocalMonth[]) =>
      months.length === 0 ? new Map<LocalMonth, FirstExport>() : firstExports(scope, months),
    close: () => db.close(),
  });
}
