import { type LocalDay, nextDay } from '../../time/calendar.js';

/**
 * Utilisation: loans + returns per machine per day in service, ranked, with machines far below
 * the fleet median flagged, so the library can re-site machines by measured demand (docs/domain.md).
 *
 * Days in service of a machine over a range of local days [fromDay, toDay) — the rule:
 * - it starts on the latest of: the range's first day, the machine's installation day (registry),
 *   and the first day the event history has anything from it (a machine the platform never heard
 *   from has no days in service; one first heard mid-range was not reporting before);
 * - it ends with the range (the caller ends ranges at today: no future day counts), or, for a
 *   machine the registry now lists as reserve or withdrawn, after the last day it was heard from;
 * - days a machine was paused or faulted count: it stood at its site, and lost demand is the point.
 * Pure.
 */

export interface DayRange {
  fromDay: LocalDay;
  /** Exclusive. */
  toDay: LocalDay;
}

export interface ServiceFacts {
  installedOn?: LocalDay | undefined;
  /** First local day of any stored event from the machine, ever. */
  firstHeardDay?: LocalDay | undefined;
  /** Last local day of any stored event from the machine before the range ends. */
  lastHeardDay?: LocalDay | undefined;
  /** The registry lists it as reserve or withdrawn now. */
  isRetired: boolean;
}

export interface ServicePeriod extends DayRange {
  days: number;
}

export const DAY_MS = 86_400_000;
/** Below half the fleet median per day in service, a machine is flagged for a decision on its site. */
export const DEFAULT_FAR_BELOW_RATIO = 0.5;

/** Calendar days from `fromDay` to `toDay` (exclusive); 0 when `toDay` is not after `fromDay`. */
export function daysBetween(fromDay: LocalDay, toDay: LocalDay): number {
  return Math.max(0, Math.round((Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / DAY_MS));
}

const later = (a: LocalDay, b: LocalDay | undefined) => (b !== undefined && b > a ? b : a);
const earlier = (a: LocalDay, b: LocalDay | undefined) => (b !== undefined && b < a ? b : a);

/** The machine's days in service within `range` (see the rule above); `null` when it has none. */
export function servicePeriod(range: DayRange, facts: ServiceFacts): ServicePeriod | null {
  if (facts.firstHeardDay === undefined) return null;
  const fromDay = later(later(range.fromDay, facts.installedOn), facts.firstHeardDay);
  const toDay = facts.isRetired
    ? earlier(range.toDay, facts.lastHeardDay === undefined ? undefined : nextDay(facts.lastHeardDay))
    : range.toDay;
  const days = daysBetween(fromDay, toDay);
  return days > 0 ? { fromDay, toDay, days } : null;
}

export interface MachineUsage {
  kioskId: string;
  loans: number;
  returns: number;
  service: ServicePeriod | null;
}

export interface UtilisationRow extends MachineUsage {
  /** 1 = most used per day in service; `null` for a machine with no days in service. */
  rank: number | null;
  loansAndReturns: number;
  perServiceDay: number | null;
  /** perServiceDay ÷ the fleet median. */
  ratioToMedian: number | null;
  isFarBelowMedian: boolean;
}

export interface UtilisationTable {
  rows: UtilisationRow[];
  /** Median of loans + returns per day in service over the machines ranked; `null` if none. */
  medianPerServiceDay: number | null;
  farBelowRatio: number;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Ranks machines by loans + returns per day in service, busiest first (ties by id). */
export function rankUtilisation(usages: readonly MachineUsage[], farBelowRatio = DEFAULT_FAR_BELOW_RATIO): UtilisationTable {
  const measured = usages.map((usage) => {
    const loansAndReturns = usage.loans + usage.returns;
    return { ...usage, loansAndReturns, perServiceDay: usage.service === null ? null : loansAndReturns / usage.service.days };
  });
  const middle = median(measured.flatMap((m) => (m.perServiceDay === null ? [] : [m.perServiceDay])));
  const ranked = measured
    .filter((m) => m.perServiceDay !== null)
    .sort((a, b) => b.perServiceDay! - a.perServiceDay! || (a.kioskId < b.kioskId ? -1 : 1))
    .map((m, index) => {
      const ratioToMedian = middle === null || middle === 0 ? null : m.perServiceDay! / middle;
      return { ...m, rank: index + 1, ratioToMedian, isFarBelowMedian: ratioToMedian !== null && ratioToMedian < farBelowRatio };
    });
  const unranked = measured
    .filter((m) => m.perServiceDay === null)
    .sort((a, b) => (a.kioskId < b.kioskId ? -1 : 1))
    .map((m) => ({ ...m, rank: null, ratioToMedian: null, isFarBelowMedian: false }));
  return { rows: [...ranked, ...unranked], medianPerServiceDay: middle, farBelowRatio };
}
