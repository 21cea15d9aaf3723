import type { Calendar } from '../../time/calendar.js';
import {
  buildIndicatorTable,
  collectServiceFigures,
  type IndicatorRow,
  type IndicatorTargets,
  type ServiceMeasures,
  yearWindow,
} from '../../collector/domain/indicators.js';
import { isMachineOriginated, MACHINE_ONLY_TYPES, SHARED_TYPES } from '../../collector/domain/machine-origin.js';
import type { LostEstimator, LostToDowntime } from '../../collector/health/lost-to-downtime.js';
import type { EventCursor, EventStore } from '../../collector/store/event-store.js';

export interface IndicatorReport {
  year: number;
  timeZone: string;
  generatedMs: number;
  /** False while the year is still running. */
  isComplete: boolean;
  rows: IndicatorRow[];
  loans: number;
  returns: number;
  /**
   * While the year runs: the loans + returns that would be done by now at an even pace towards the
   * yearly target (target × share of the year gone). Null before the year starts and once it ended.
   */
  circulationPace: number | null;
  /** Loans + returns the fleet lost to downtime in the year, by month; null when fleet health does not run. */
  lostToDowntime: Pick<LostToDowntime, 'total' | 'byMonth' | 'kiosksWithoutEstimate'> | null;
}

/** Reads a machine's inspections and deliveries of the year until one is the machine's own. */
async function hasMachineEvent(store: EventStore, kioskId: string, window: { fromMs: number; toMs: number }): Promise<boolean> {
  let after: EventCursor | undefined;
  for (;;) {
    const page = await store.readEvents({
      kioskId,
      types: SHARED_TYPES,
      fromMs: window.fromMs,
      toMs: window.toMs,
      limit: PAGE,
      ...(after ? { after } : {}),
    });
    if (page.some(isMachineOriginated)) return true;
    if (page.length < PAGE) return false;
    const last = page[page.length - 1]!;
    after = { tsMs: last.tsMs, id: last.id };
  }
}

const PAGE = 1_000;

/**
 * The year's indicator table. Circulation comes from one query over the monthly rollup (by
 * machine, every type); so do machines operated: a machine counts when it sent at least one event
 * itself in the year (a loan, a fault, a command's answer…). Platform events about it, inspections
 * entered by hand and reservations addressed to it do not count; for a machine whose only events
 * of its own kinds are inspections or deliveries, those events are read to tell. The service
 * figures come from the measures given, if any.
 */
export async function produceIndicatorReport(
  parts: { store: EventStore; calendar: Calendar; serviceMeasures: ServiceMeasures; estimateLost?: LostEstimator | undefined },
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
  const toRead = new Set<string>();
  let loans = 0;
  let returns = 0;
  for (const row of counts) {
    // '' is a platform event about no machine (a home delivery).
    if (row.kioskId && MACHINE_ONLY_TYPES.includes(row.type)) machines.add(row.kioskId);
    else if (row.kioskId && SHARED_TYPES.includes(row.type)) toRead.add(row.kioskId);
    if (row.type === 'loan') loans += row.count;
    else if (row.type === 'return') returns += row.count;
  }
  for (const kioskId of toRead) {
    if (!machines.has(kioskId) && (await hasMachineEvent(parts.store, kioskId, window))) machines.add(kioskId);
  }
  return {
    year,
    timeZone: parts.calendar.timeZone,
    generatedMs: nowMs,
    isComplete: window.toMs <= nowMs,
    rows: buildIndicatorTable({ machinesOperated: machines.size, loans, returns, service }, targets),
    loans,
    returns,
    circulationPace:
      nowMs < window.fromMs || nowMs >= window.toMs
        ? null
        : Math.round((targets.circulationPerYear * (nowMs - window.fromMs)) / (window.toMs - window.fromMs)),
    lostToDowntime: lostOfYear(parts.estimateLost, year, nowMs),
  };
}

function lostOfYear(estimate: LostEstimator | undefined, year: number, nowMs: number): IndicatorReport['lostToDowntime'] {
  if (!estimate) return null;
  const y = String(year).padStart(4, '0');
  const { total, byMonth, kiosksWithoutEstimate } = estimate(undefined, `${y}-01`, `${y}-12`, nowMs);
  return { total, byMonth, kiosksWithoutEstimate };
}
