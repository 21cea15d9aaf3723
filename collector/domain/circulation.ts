import type { LocalDay, LocalMonth } from '../../time/calendar.js';

/**
 * The monthly circulation table managers file (docs/domain.md): one row per month, loans, returns,
 * loans + returns, and a total row; plus the revision notes that tell a manager a month has
 * changed since it was first exported. Pure: counts and export records are passed in.
 */

/** Counted by when the loan or return happened, in the fleet's local months. */
export const CIRCULATION_TYPES = ['loan', 'return'] as const;

/** The longest range one table may cover: twenty years of months. */
export const MAX_TABLE_MONTHS = 240;

/** The protocol refuses events stamped before 2000, so no month before it can hold any. */
export const FIRST_REPORTABLE_MONTH: LocalMonth = '2000-01';
/** Four-digit years only: the month after 9999-12 has no YYYY-MM, and indicators stop at 9998 too. */
export const LAST_REPORTABLE_MONTH: LocalMonth = '9998-12';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface CirculationFigures {
  loans: number;
  returns: number;
  /** loans + returns (借还书总量). */
  total: number;
}

export interface MonthCirculation extends CirculationFigures {
  month: LocalMonth;
  /** False while the month has not ended: its figures still grow, and it is not recorded as exported. */
  isComplete: boolean;
}

export interface CirculationTable {
  rows: MonthCirculation[];
  total: CirculationFigures;
}

/** One pushed-down count, as the event store gives it (`CountRow` of the port). */
export interface PeriodCount {
  period: string;
  type: string;
  count: number;
}

export type MonthRangeCheck = { ok: true; months: LocalMonth[] } | { ok: false; field: 'from' | 'to'; message: string };

export function isLocalMonth(value: string): boolean {
  return MONTH.test(value);
}

/** The month after `month`: `2023-12` → `2024-01`. */
export function nextMonth(month: LocalMonth): LocalMonth {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return monthNumber === 12 ? `${year + 1}-01` : `${year}-${String(monthNumber + 1).padStart(2, '0')}`;
}

function monthIndex(month: LocalMonth): number {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return year * 12 + monthNumber - 1;
}

/** Months from `from` to `to`, both included, oldest first. */
export function monthsBetween(from: LocalMonth, to: LocalMonth): LocalMonth[] {
  const months: LocalMonth[] = [];
  for (let month = from; month <= to; month = nextMonth(month)) months.push(month);
  return months;
}

/** Checks a requested range of months, naming the field at fault. */
export function checkMonthRange(from: string, to: string, maxMonths = MAX_TABLE_MONTHS): MonthRangeCheck {
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!isLocalMonth(value))
      return { ok: false, field, message: `${field} must be a month YYYY-MM, got ${JSON.stringify(value)}` };
    if (value < FIRST_REPORTABLE_MONTH)
      return { ok: false, field, message: `${field} must be ${FIRST_REPORTABLE_MONTH} or later` };
    if (value > LAST_REPORTABLE_MONTH)
      return { ok: false, field, message: `${field} must be ${LAST_REPORTABLE_MONTH} or earlier` };
  }
  if (to < from) return { ok: false, field: 'to', message: `to (${to}) is before from (${from})` };
  const count = monthIndex(to) - monthIndex(from) + 1;
  if (count > maxMonths) {
    return { ok: false, field: 'to', message: `a table covers at most ${maxMonths} months; ${from} to ${to} is ${count}` };
  }
  return { ok: true, months: monthsBetween(from, to) };
}

/** The local days a range of months covers: first day included, day after the last excluded. */
export function daysOfMonths(from: LocalMonth, to: LocalMonth): { fromDay: LocalDay; toDay: LocalDay } {
  return { fromDay: `${from}-01`, toDay: `${nextMonth(to)}-01` };
}

export function figuresOf(loans: number, returns: number): CirculationFigures {
  return { loans, returns, total: loans + returns };
}

/**
 * One row per month of `months` (zeros where nothing was counted) and the total row, from monthly
 * counts of loans and returns. Counts of other types or outside the months are ignored.
 */
export function buildCirculationTable(
  months: readonly LocalMonth[],
  counts: readonly PeriodCount[],
  isMonthComplete: (month: LocalMonth) => boolean,
): CirculationTable {
  const byMonth = new Map(months.map((month) => [month, { loans: 0, returns: 0 }]));
  for (const row of counts) {
    const slot = byMonth.get(row.period.slice(0, 7));
    if (slot === undefined) continue;
    if (row.type === 'loan') slot.loans += row.count;
    else if (row.type === 'return') slot.returns += row.count;
  }
  const rows = months.map((month) => {
    const { loans, returns } = byMonth.get(month)!;
    return { month, ...figuresOf(loans, returns), isComplete: isMonthComplete(month) };
  });
  const total = figuresOf(
    rows.reduce((sum, row) => sum + row.loans, 0),
    rows.reduce((sum, row) => sum + row.returns, 0),
  );
  return { rows, total };
}

/** What a month's figures were when this scope's table first handed that month out. */
export interface FirstExport {
  figures: CirculationFigures;
  exportedMs: number;
}

export interface RevisionNote {
  month: LocalMonth;
  /** As first exported (the figures a manager may have filed). */
  previous: CirculationFigures;
  current: CirculationFigures;
  /** current − previous, per column. */
  difference: CirculationFigures;
  firstExportedMs: number;
}

/**
 * A note for every complete month whose figures differ from those first exported: events that
 * arrived late (a machine that was offline) land in their own month and revise it.
 */
export function findRevisions(
  rows: readonly MonthCirculation[],
  firstExports: ReadonlyMap<LocalMonth, FirstExport>,
): RevisionNote[] {
  const notes: RevisionNote[] = [];
  for (const row of rows) {
    const first = firstExports.get(row.month);
    if (first === undefined || !row.isComplete) continue;
    const { figures: previous } = first;
    if (previous.loans === row.loans && previous.returns === row.returns) continue;
    const current = figuresOf(row.loans, row.returns);
    notes.push({
      month: row.month,
      previous,
      current,
      difference: figuresOf(current.loans - previous.loans, current.returns - previous.returns),
      firstExportedMs: first.exportedMs,
    });
  }
  return notes;
}
