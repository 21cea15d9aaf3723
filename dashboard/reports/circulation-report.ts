import type { Calendar, LocalMonth } from '../../time/calendar.js';
import {
  buildCirculationTable,
  CIRCULATION_TYPES,
  type CirculationTable,
  daysOfMonths,
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
  table: CirculationTable;
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
  const table = await readCirculationTable(parts.store, parts.calendar, scope, from, to, nowMs);
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
