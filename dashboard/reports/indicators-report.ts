import type { Calendar } from '../../collector/domain/calendar.js';
import {
  buildIndicatorTable,
  collectServiceFigures,
  type IndicatorRow,
  type IndicatorTargets,
  type ServiceMeasures,
  yearWindow,
} from '../../collector/domain/indicators.js';
import type { EventStore } from '../../collector/store/event-store.js';

export interface IndicatorReport {
  year: number;
  timeZone: string;
  generatedMs: number;
  /** False while the year is still running. */
  isComplete: boolean;
  rows: IndicatorRow[];
  loans: number;
  returns: number;
}

/**
 * The year's indicator table. Machines operated and circulation come from one query over the
 * monthly rollup (by machine, every type); the service figures from the measures given, if any.
 */
export async function produceIndicatorReport(
  parts: { store: EventStore; calendar: Calendar; serviceMeasures: ServiceMeasures },
  year: number,
  targets: IndicatorTargets,
  nowMs: number,
): Promise<IndicatorReport> {
  const window = yearWindow(year, (day) => parts.calendar.startOfDay(day));
  const [counts, service] = await Promise.all([
    parts.store.countByPeriod({ granularity: 'month', fromDay: window.fromDay, toDay: window.toDay, byKiosk: true }),
    collectServiceFigures(parts.serviceMeasures, window),
  ]);
  const machines = new Set<string>();
  let loans = 0;
  let returns = 0;
  for (const row of counts) {
    // '' is a platform event about no machine (a home delivery).
    if (row.kioskId) machines.add(row.kioskId);
    if (row.type === 'loan') loans += row.count;
    else if (row.type === 'return') returns += row.count;
  }
  return {
    year,
    timeZone: parts.calendar.timeZone,
    generatedMs: nowMs,
    isComplete: window.toMs <= nowMs,
    rows: buildIndicatorTable({ machinesOperated: machines.size, loans, returns, service }, targets),
    loans,
    returns,
  };
}
