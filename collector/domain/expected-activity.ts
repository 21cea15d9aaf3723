import type { Calendar } from '../../time/calendar.js';
import { type Interval, overlapMs } from './interval.js';

/**
 * What a machine usually does: its loans + returns per hour, learnt from its own history. Three
 * parts multiply:
 * - **hour of the week** (168 slots): the machine's own rate in that slot, shrunk towards "its
 *   hour of day × its day of week" while a slot has little history (a few weeks of a machine
 *   doing ~9 transactions a day leave most slots with one or two events);
 * - **season**: the month's level against the year, once the history covers every month of the
 *   year (before that the recent trend carries the level, season is 1);
 * - **recent trend**: what the last weeks saw against what the two parts above expected, shrunk
 *   towards 1 by a prior of a few dozen transactions.
 * Only time the machine could serve readers is learnt from, so an outage does not teach it that
 * nobody comes. Pure: the same observations give the same model.
 */

export const HOUR_MS = 3_600_000;
export const HOURS_PER_WEEK = 168;

/** One clock hour of one machine's history. */
export interface HourObservation {
  /** Start of the hour (a whole UTC hour), epoch ms. */
  startMs: number;
  /** Loans + returns while the machine was available in that hour. */
  count: number;
  /** Share of the hour the machine was available to readers, 0–1. */
  availableRatio: number;
}

export interface ExpectedActivityOptions {
  /** Less available history than this says "too little history" instead of guessing. */
  minObservedHours: number;
  /** Fewer transactions than this, likewise. */
  minEvents: number;
  /** Days the recent trend is measured over. */
  trendDays: number;
  /** Pseudo-transactions shrinking the trend towards 1. */
  trendPriorEvents: number;
  /** Hours of "hour of day × day of week" a slot's own rate is blended with. */
  shapePriorHours: number;
  /** Available hours every month of the year needs before the season is used. */
  seasonMinHoursPerMonth: number;
}

export const EXPECTED_ACTIVITY_DEFAULTS: Readonly<ExpectedActivityOptions> = Object.freeze({
  minObservedHours: 14 * 24,
  minEvents: 50,
  trendDays: 21,
  trendPriorEvents: 30,
  shapePriorHours: 8,
  seasonMinHoursPerMonth: 14 * 24,
});

/** What a model still lacks, as a code and numbers: the page says it in the reader's language. */
export interface HistoryShortfall {
  code: 'TOO_FEW_HOURS' | 'TOO_FEW_EVENTS';
  /** Hours in service, or loans + returns, so far (hours rounded). */
  have: number;
  needed: number;
}

export interface InsufficientHistory {
  kind: 'insufficient_history';
  observedHours: number;
  events: number;
  shortfall: HistoryShortfall;
  /** What is missing, in English words (logs and test messages). */
  reason: string;
}

export interface ActivityModel {
  kind: 'model';
  observedHours: number;
  events: number;
  /** Loans + returns per hour by local hour of the week (Sunday 00 h first), before season and trend. */
  hourOfWeekRates: number[];
  /** Month of year (January first) against the year; null while the history does not cover a year. */
  seasonRatios: number[] | null;
  /** Recent level against the hour-of-week and season parts (1: as usual). */
  trendRatio: number;
  /** Relative standard error of the level (from the transactions the trend saw). */
  levelRelativeError: number;
  /** Expected loans + returns per hour at an instant. */
  ratePerHour(atMs: number): number;
  /** Expected loans + returns over `[fromMs, toMs)`. */
  expectedBetween(fromMs: number, toMs: number): number;
  /** The slot's rate against the machine's mean slot (quiet night hours are well below 1). */
  relativeRateAt(atMs: number): number;
}

export type ExpectedActivity = InsufficientHistory | ActivityModel;

/** Local hour of the week (0–167, Sunday 00 h first) and month (0–11) of an instant. */
export function localSlotOf(calendar: Calendar, atMs: number): { hourOfWeek: number; month: number } {
  const localMs = atMs + calendar.offsetMinutesAt(atMs) * 60_000;
  return { hourOfWeek: hourOfWeekOfLocal(localMs), month: new Date(localMs).getUTCMonth() };
}

/** 1970-01-01 was a Thursday (day 4, Sunday 0): arithmetic, no Date, for the hot loops. */
function hourOfWeekOfLocal(localMs: number): number {
  const hours = Math.floor(localMs / HOUR_MS);
  const day = Math.floor(hours / 24);
  return ((((day + 4) % 7) + 7) % 7) * 24 + (((hours % 24) + 24) % 24);
}

/** The start of the UTC hour holding an instant. */
export const hourStartOf = (atMs: number): number => Math.floor(atMs / HOUR_MS) * HOUR_MS;

/**
 * One observation per hour of `[fromMs, toMs)`: transactions (sorted epoch ms) counted only
 * while the machine was available (sorted, disjoint intervals).
 */
export function hourObservations(
  eventMs: readonly number[],
  available: readonly Interval[],
  fromMs: number,
  toMs: number,
): HourObservation[] {
  const hours: HourObservation[] = [];
  let a = 0;
  let e = 0;
  for (let startMs = hourStartOf(fromMs); startMs < toMs; startMs += HOUR_MS) {
    const endMs = startMs + HOUR_MS;
    while (a < available.length && available[a]!.toMs <= startMs) a++;
    let availableMs = 0;
    let count = 0;
    while (e < eventMs.length && eventMs[e]! < startMs) e++;
    for (let i = a; i < available.length && available[i]!.fromMs < endMs; i++) {
      const piece = available[i]!;
      availableMs += overlapMs(piece.fromMs, piece.toMs, Math.max(startMs, fromMs), Math.min(endMs, toMs));
    }
    for (let j = e; j < eventMs.length && eventMs[j]! < endMs; j++) {
      if (eventMs[j]! >= fromMs && eventMs[j]! < toMs && isInside(available, a, eventMs[j]!)) count++;
    }
    if (availableMs > 0) hours.push({ startMs, count, availableRatio: availableMs / HOUR_MS });
  }
  return hours;
}

function isInside(available: readonly Interval[], from: number, atMs: number): boolean {
  for (let i = from; i < available.length && available[i]!.fromMs <= atMs; i++) if (atMs < available[i]!.toMs) return true;
  return false;
}

interface Tally {
  count: number;
  hours: number;
}
const tallies = (n: number): Tally[] => Array.from({ length: n }, () => ({ count: 0, hours: 0 }));

/** Month-of-year level against the year, or null while some month has too little history. */
function seasonOf(hours: readonly HourObservation[], slots: readonly { month: number }[], minHours: number): number[] | null {
  const byMonth = tallies(12);
  for (let i = 0; i < hours.length; i++) {
    byMonth[slots[i]!.month]!.count += hours[i]!.count;
    byMonth[slots[i]!.month]!.hours += hours[i]!.availableRatio;
  }
  if (byMonth.some((m) => m.hours < minHours)) return null;
  const rates = byMonth.map((m) => m.count / m.hours);
  const mean = rates.reduce((a, b) => a + b, 0) / 12;
  return mean > 0 ? rates.map((r) => r / mean) : null;
}

/** Hour-of-week rates (deseasonalised), each slot blended with its hour-of-day × day-of-week estimate. */
function shapeOf(
  hours: readonly HourObservation[],
  slots: readonly { hourOfWeek: number; month: number }[],
  season: readonly number[] | null,
  priorHours: number,
): number[] {
  const byWeekHour = tallies(HOURS_PER_WEEK);
  const byHour = tallies(24);
  const byDay = tallies(7);
  let total: Tally = { count: 0, hours: 0 };
  for (let i = 0; i < hours.length; i++) {
    const { hourOfWeek, month } = slots[i]!;
    const count = hours[i]!.count / (season?.[month] ?? 1);
    const h = hours[i]!.availableRatio;
    for (const t of [byWeekHour[hourOfWeek]!, byHour[hourOfWeek % 24]!, byDay[Math.floor(hourOfWeek / 24)]!]) {
      t.count += count;
      t.hours += h;
    }
    total = { count: total.count + count, hours: total.hours + h };
  }
  const overall = total.count / total.hours;
  const rate = (t: Tally) => (t.hours > 0 ? t.count / t.hours : overall);
  return byWeekHour.map((slot, how) => {
    const prior = overall > 0 ? (rate(byHour[how % 24]!) * rate(byDay[Math.floor(how / 24)]!)) / overall : 0;
    return (slot.count + priorHours * prior) / (slot.hours + priorHours);
  });
}

/**
 * The recent level against the shape and season: events seen over the last `trendDays` against
 * those the shape and season expect there. A function of its own so that the model's closures do
 * not hold the hour slots (a year of them per machine) alive.
 */
function trendOf(
  hours: readonly HourObservation[],
  slots: readonly { hourOfWeek: number; month: number }[],
  shape: readonly number[],
  season: readonly number[] | null,
  o: Pick<ExpectedActivityOptions, 'trendDays' | 'trendPriorEvents'>,
): { seen: number; trendRatio: number } {
  const trendFromMs = hours.at(-1)!.startMs + HOUR_MS - o.trendDays * 86_400_000;
  let seen = 0;
  let expected = 0;
  for (let i = hours.length - 1; i >= 0 && hours[i]!.startMs >= trendFromMs; i--) {
    seen += hours[i]!.count;
    expected += shape[slots[i]!.hourOfWeek]! * (season?.[slots[i]!.month] ?? 1) * hours[i]!.availableRatio;
  }
  return { seen, trendRatio: (seen + o.trendPriorEvents) / (expected + o.trendPriorEvents) };
}

/**
 * The model of one machine's activity from its hour observations (oldest first), as of the end
 * of the last observation; or why there is too little history to have one.
 */
export function fitExpectedActivity(
  hours: readonly HourObservation[],
  calendar: Calendar,
  options: Partial<ExpectedActivityOptions> = {},
): ExpectedActivity {
  const o = { ...EXPECTED_ACTIVITY_DEFAULTS, ...options };
  const observedHours = hours.reduce((sum, h) => sum + h.availableRatio, 0);
  const events = hours.reduce((sum, h) => sum + h.count, 0);
  if (observedHours < o.minObservedHours || events < o.minEvents) {
    const shortfall: HistoryShortfall =
      observedHours < o.minObservedHours
        ? { code: 'TOO_FEW_HOURS', have: Math.round(observedHours), needed: o.minObservedHours }
        : { code: 'TOO_FEW_EVENTS', have: events, needed: o.minEvents };
    const reason =
      shortfall.code === 'TOO_FEW_HOURS'
        ? `${shortfall.have} h of history in service; ${shortfall.needed} h needed`
        : `${shortfall.have} loans and returns in its history; ${shortfall.needed} needed`;
    return { kind: 'insufficient_history', observedHours, events, shortfall, reason };
  }
  const slots = hours.map((h) => localSlotOf(calendar, h.startMs));
  const season = seasonOf(hours, slots, o.seasonMinHoursPerMonth);
  const shape = shapeOf(hours, slots, season, o.shapePriorHours);
  const { seen, trendRatio } = trendOf(hours, slots, shape, season, o);
  const meanSlot = shape.reduce((a, b) => a + b, 0) / HOURS_PER_WEEK;

  const ratePerHour = (atMs: number) => {
    const { hourOfWeek, month } = localSlotOf(calendar, atMs);
    return shape[hourOfWeek]! * (season?.[month] ?? 1) * trendRatio;
  };
  return {
    kind: 'model',
    observedHours,
    events,
    hourOfWeekRates: shape,
    seasonRatios: season,
    trendRatio,
    levelRelativeError: 1 / Math.sqrt(seen + o.trendPriorEvents),
    ratePerHour,
    relativeRateAt: (atMs) => (meanSlot > 0 ? shape[localSlotOf(calendar, atMs).hourOfWeek]! / meanSlot : 0),
    expectedBetween(fromMs, toMs) {
      let sum = 0;
      for (let startMs = hourStartOf(fromMs); startMs < toMs; startMs += HOUR_MS) {
        const ms = overlapMs(startMs, startMs + HOUR_MS, fromMs, toMs);
        if (ms > 0) sum += (ratePerHour(startMs) * ms) / HOUR_MS;
      }
      return sum;
    },
  };
}

/** Expected loans + returns over the parts of `[fromMs, toMs)` inside the intervals. */
export function expectedOver(model: ActivityModel, intervals: readonly Interval[], fromMs: number, toMs: number): number {
  let sum = 0;
  for (const i of intervals) {
    const from = Math.max(i.fromMs, fromMs);
    const to = Math.min(i.toMs, toMs);
    if (to > from) sum += model.expectedBetween(from, to);
  }
  return sum;
}
