import { type Calendar, type LocalDay, type LocalMonth, nextDay } from '../../time/calendar.js';
import { type CoveredCirculationTable, markCoverage } from '../../collector/domain/circulation-coverage.js';
import {
  buildCirculationTable,
  CIRCULATION_TYPES,
  type CirculationTable,
  daysOfMonths,
  FIRST_REPORTABLE_MONTH,
  findRevisions,
  monthsBetween,
  nextMonth,
  type RevisionNote,
} from '../../collector/domain/circulation.js';
import type { EventStore } from '../../collector/store/event-store.js';
import type { ExportLog } from '../exports/export-log.js';
import { type ReportScope, scopeKey, scopeKioskIds } from './report-scope.js';

export interface CirculationReport {
  scope: ReportScope;
  from: LocalMonth;
  to: LocalMonth;
  timeZone: string;
  generatedMs: number;
  /** With each month's coverage: before the history began, measured, running or future. */
  table: CoveredCirculationTable;
  /** Complete months whose figures changed since this scope first exported them. */
  revisions: RevisionNote[];
}

/**
 * The monthly table of a scope from the store's pushed-down monthly counts: one query over the
 * rollup, however many events the months hold. A month is complete once its last local day ended.
 */
export async function readCirculationTable(
  store: EventStore,
  calendar: Calendar,
  scope: ReportScope,
  from: LocalMonth,
  to: LocalMonth,
  nowMs: number,
): Promise<CirculationTable> {
  const kioskIds = scopeKioskIds(scope);
  const counts = await store.countByPeriod({
    granularity: 'month',
    ...daysOfMonths(from, to),
    types: CIRCULATION_TYPES,
    ...(kioskIds === undefined ? {} : { kioskIds }),
  });
  return buildCirculationTable(
    monthsBetween(from, to),
    counts,
    (month) => calendar.startOfDay(`${nextMonth(month)}-01`) <= nowMs,
  );
}

const earliest = (periods: readonly string[]) => (periods.length === 0 ? undefined : periods.reduce((a, b) => (b < a ? b : a)));

/**
 * The local day of the first event recorded about the scope's machines (for the whole fleet: of
 * any event, the platform's own included): where its history begins. One index seek per machine;
 * then, because retention (EVENT_RETENTION_DAYS) deletes old events but keeps their daily and
 * monthly counts, the counts before that day are asked too: empty unless retention ran, and then
 * the earliest counted month, and its days, say where the history really begins.
 */
export async function readHistoryBegins(
  store: EventStore,
  calendar: Calendar,
  scope: ReportScope,
  nowMs: number,
): Promise<LocalDay | null> {
  const kioskIds = scopeKioskIds(scope);
  const filter = kioskIds === undefined ? {} : { kioskIds };
  const firsts = await Promise.all(
    (kioskIds ?? [undefined]).map(async (kioskId) => {
      const [first] = await store.readEvents({ limit: 1, order: 'asc', ...(kioskId === undefined ? {} : { kioskId }) });
      return first?.tsMs;
    }),
  );
  const known = firsts.filter((ms): ms is number => ms !== undefined);
  const firstEventDay = known.length === 0 ? undefined : calendar.dayOf(Math.min(...known));
  const before = firstEventDay ?? nextDay(calendar.dayOf(nowMs));
  const months = await store.countByPeriod({
    granularity: 'month',
    fromDay: `${FIRST_REPORTABLE_MONTH}-01`,
    toDay: before,
    ...filter,
  });
  const firstMonth = earliest(months.filter((row) => row.count > 0).map((row) => row.period.slice(0, 7)));
  if (firstMonth === undefined) return firstEventDay ?? null;
  const days = await store.countByPeriod({ granularity: 'day', ...daysOfMonths(firstMonth, firstMonth), ...filter });
  return earliest(days.filter((row) => row.count > 0 && row.period < before).map((row) => row.period)) ?? firstEventDay ?? null;
}

/**
 * The table with a revision note for every month changed since its first export. With `isExport`
 * (a CSV or XLSX file handed out) the complete months are recorded in the export log; months still
 * running never are: their figures are expected to grow.
 */
export async function produceCirculationReport(
  parts: { store: EventStore; calendar: Calendar; exportLog: ExportLog },
  scope: ReportScope,
  from: LocalMonth,
  to: LocalMonth,
  options: { nowMs: number; isExport: boolean },
): Promise<CirculationReport> {
  const { nowMs } = options;
  const [counted, historyBegins] = await Promise.all([
    readCirculationTable(parts.store, parts.calendar, scope, from, to, nowMs),
    readHistoryBegins(parts.store, parts.calendar, scope, nowMs),
  ]);
  const table = markCoverage(counted, historyBegins, parts.calendar.monthOf(nowMs));
  const complete = table.rows.filter((row) => row.isComplete);
  const firstExports = options.isExport
    ? await parts.exportLog.recordExport(scopeKey(scope), complete, nowMs)
    : await parts.exportLog.firstExports(
        scopeKey(scope),
        complete.map((row) => row.month),
      );
  return {
    scope,
    from,
    to,
    timeZone: parts.calendar.timeZone,
    generatedMs: nowMs,
    table,
    revisions: findRevisions(table.rows, firstExports),
  };
}
