import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile } from '../../config/private-files.js';
import type { LocalMonth } from '../../time/calendar.js';
import type { CirculationFigures, FirstExport } from '../../collector/domain/circulation.js';
import type { ExportedMonth, ExportLog } from './export-log.js';

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

/** Opens (creating if needed) the export log in a SQLite file; `:memory:` keeps it for the life of the process. */
export function openSqliteExportLog(file: string): ExportLog {
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
  const recordExport = db.transaction((scope: string, rows: readonly ExportedMonth[], atMs: number) => {
    const earlier = firstExports(
      scope,
      rows.map((row) => row.month),
    );
    for (const row of rows) upsert.run({ scope, month: row.month, loans: row.loans, returns: row.returns, atMs });
    return earlier;
  });

  return Object.freeze({
    recordExport: async (scope: string, rows: readonly ExportedMonth[], atMs: number) =>
      rows.length === 0 ? new Map<LocalMonth, FirstExport>() : recordExport.immediate(scope, rows, atMs),
    firstExports: async (scope: string, months: readonly LocalMonth[]) =>
      months.length === 0 ? new Map<LocalMonth, FirstExport>() : firstExports(scope, months),
    close: async () => void db.close(),
  });
}
