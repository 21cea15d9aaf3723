import type { LocalDay, LocalMonth } from '../../time/calendar.js';
import type { CirculationTable, MonthCirculation } from './circulation.js';

/**
 * What a month of the circulation table stands for. A zero is a measurement only for a month the
 * platform was recording: a month before the history begins holds no data yet, a month after the
 * current one has not happened. Neither is a month "still running" nor a zero to file.
 */
export type MonthCoverage = 'before_history' | 'measured' | 'running' | 'future';

export interface CoveredMonth extends MonthCirculation {
  coverage: MonthCoverage;
}

export interface CoveredCirculationTable extends CirculationTable {
  rows: CoveredMonth[];
  /** The local day of the first event recorded for the scope; null when nothing is recorded yet. */
  historyBegins: LocalDay | null;
  /** Months the total sums over: measured and running ones (the others hold no data by construction). */
  monthsWithData: number;
}

export function coverageOf(month: LocalMonth, historyBegins: LocalDay | null, currentMonth: LocalMonth): MonthCoverage {
  if (month > currentMonth) return 'future';
  if (historyBegins === null || month < historyBegins.slice(0, 7)) return 'before_history';
  return month === currentMonth ? 'running' : 'measured';
}

/**
 * The table with each month's coverage. The total is left as counted: months without data add
 * nothing to it, and `monthsWithData` says how many months it stands for.
 */
export function markCoverage(
  table: CirculationTable,
  historyBegins: LocalDay | null,
  currentMonth: LocalMonth,
): CoveredCirculationTable {
  const rows = table.rows.map((row) => ({ ...row, coverage: coverageOf(row.month, historyBegins, currentMonth) }));
  return {
    rows,
    total: table.total,
    historyBegins,
    monthsWithData: rows.filter((row) => row.coverage === 'measured' || row.coverage === 'running').length,
  };
}
