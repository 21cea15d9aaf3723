import type { Calendar, LocalMonth } from '../../time/calendar.js';
import { monthsBetween, nextMonth } from '../domain/circulation.js';
import {
  downtimeOf,
  emptyLostEstimate,
  estimateLostByPeriod,
  type LostEstimate,
  type LostPeriod,
  sumLost,
} from '../domain/lost-transactions.js';
import type { FleetHealth } from './fleet-health.js';
import type { LendingWatch } from './lending-watch.js';

type Estimate = LostEstimate & { variance: number };

/** One machine's estimate over the months, or why it has none. */
export interface KioskLost {
  kioskId: string;
  /** Null with too little history to know what the machine usually does. */
  total: Estimate | null;
  byMonth: (Estimate & { month: LocalMonth })[];
  insufficientHistory: string | null;
}

export interface LostToDowntime {
  kiosks: KioskLost[];
  /** The machines with an estimate, added up. */
  total: Estimate;
  byMonth: (Estimate & { month: LocalMonth })[];
  /** Machines that had downtime but too little history for an estimate. */
  kiosksWithoutEstimate: number;
}

/**
 * Loans + returns lost to downtime per machine and local month (collector/domain/lost-
 * transactions.ts), counted up to `nowMs`. Each machine's usual activity is its model as of the
 * end of the range (or now): it learns only from time the machine served readers, so the
 * downtime being estimated does not teach it that nobody comes, and its season carries the
 * months' differences once it has a year of history.
 */
export function estimateLostToDowntime(
  parts: { health: FleetHealth; lending: LendingWatch; calendar: Calendar },
  kioskIds: readonly string[],
  from: LocalMonth,
  to: LocalMonth,
  nowMs: number,
): LostToDowntime {
  const { health, lending, calendar } = parts;
  const periods: LostPeriod[] = monthsBetween(from, to).map((month) => {
    const fromMs = calendar.startOfDay(`${month}-01`);
    const toMs = Math.min(calendar.startOfDay(`${nextMonth(month)}-01`), nowMs);
    return { period: month, fromMs, toMs: Math.max(fromMs, toMs) };
  });
  const endMs = Math.max(...periods.map((p) => p.toMs));
  const startMs = Math.min(...periods.map((p) => p.fromMs));
  const kiosks = kioskIds.map((kioskId): KioskLost => {
    const downtime = downtimeOf(health.readerTimeline(kioskId, endMs)).filter((d) => d.toMs > startMs && d.fromMs < endMs);
    // Nothing to estimate: no model needed (fitting one reads a year of the machine's hours).
    if (downtime.length === 0) return { kioskId, ...estimateLostByPeriodWithout(periods), insufficientHistory: null };
    const model = lending.modelAsOf(kioskId, endMs, nowMs);
    if (model.kind !== 'model') return { kioskId, total: null, byMonth: [], insufficientHistory: model.reason };
    const { byPeriod, total } = estimateLostByPeriod(model, downtime, periods);
    return {
      kioskId,
      total,
      byMonth: byPeriod.map(({ period, ...e }) => ({ month: period, ...e })),
      insufficientHistory: null,
    };
  });
  const estimated = kiosks.filter((k) => k.total !== null);
  return {
    kiosks,
    total: sumLost(estimated.map((k) => k.total!)),
    byMonth: periods.map((p, i) => ({ month: p.period, ...sumLost(estimated.map((k) => k.byMonth[i]!)) })),
    kiosksWithoutEstimate: kiosks.filter((k) => k.insufficientHistory !== null).length,
  };
}

/** The estimate of a machine without downtime in the periods: nothing lost, whatever its model. */
function estimateLostByPeriodWithout(periods: readonly LostPeriod[]): Pick<KioskLost, 'total' | 'byMonth'> {
  const zero = () => ({ ...emptyLostEstimate(), variance: 0 });
  return { total: zero(), byMonth: periods.map((p) => ({ month: p.period, ...zero() })) };
}

/** What reports are given to estimate with (absent when fleet health is not running). */
export type LostEstimator = (
  kioskIds: readonly string[] | undefined,
  from: LocalMonth,
  to: LocalMonth,
  nowMs: number,
) => LostToDowntime;

/** The estimator over fleet health's machines (every known one when no ids are given). */
export function lostEstimatorOf(parts: { health: FleetHealth; lending: LendingWatch; calendar: Calendar }): LostEstimator {
  return (kioskIds, from, to, nowMs) => estimateLostToDowntime(parts, kioskIds ?? parts.health.kioskIds(), from, to, nowMs);
}
