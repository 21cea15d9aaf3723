import type { LocalMonth } from '../../time/calendar.js';
import type { FirstExport, MonthCirculation } from '../../collector/domain/circulation.js';

/** One month of an export: the figures handed out. */
export type ExportedMonth = Pick<MonthCirculation, 'month' | 'loans' | 'returns'>;

/**
 * What the platform has handed out per report scope and month: the figures of the first export (the
 * ones a manager may have filed) and of the latest. Platform state, not event history. Adapters:
 * SQLite (`reports.sqlite` in the data directory, sqlite-export-log.ts) and PostgreSQL
 * (postgres-export-log.ts); both pass tests/contract/export-log-contract.ts.
 */
export interface ExportLog {
  /**
   * Records the months of one export and resolves, for each of them already exported before, its
   * first export. A month's first export is never overwritten; its latest one is.
   */
  recordExport(scope: string, rows: readonly ExportedMonth[], atMs: number): Promise<Map<LocalMonth, FirstExport>>;
  /** The first export of each of these months that has been exported, without recording anything. */
  firstExports(scope: string, months: readonly LocalMonth[]): Promise<Map<LocalMonth, FirstExport>>;
  close(): Promise<void>;
}
