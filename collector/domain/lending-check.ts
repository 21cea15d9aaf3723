import type { ExpectedActivity } from './expected-activity.js';
import { expectedOver } from './expected-activity.js';
import type { Interval } from './interval.js';
import { poissonCdf } from './poisson.js';

/**
 * "Online but not lending": a machine heartbeating and reporting no fault while readers manage
 * nothing on it. Judged by what it usually does (expected-activity.ts): over the time it was
 * available since each of its last few transactions, how likely is it to see so few when so many
 * were expected? Below the threshold it is not lending. Pure.
 *
 * Windows start just after one of the last `maxWindowEvents` transactions (the first one: "none
 * since"; later ones: "only two since"), so a machine that stopped dead and one that lends a
 * fraction of its usual are both caught, and "since when" is the start of the worst window.
 *
 * What the threshold bounds is the chance that one gap between transactions looks like a failure;
 * a machine with n transactions a quarter sees about n × threshold false alarms a quarter.
 */

export interface LendingCheckOptions {
  /** Poisson probability of seeing so few below which the machine is not lending (0.001 = 0.1 %). */
  thresholdProbability: number;
  /** An hour whose usual rate is below this share of the machine's mean hour is quiet: no alarm is raised then. */
  quietRatio: number;
  /** Windows start after each of this many last transactions. */
  maxWindowEvents: number;
  /** No window reaches further back than this. */
  maxLookbackMs: number;
}

export const LENDING_CHECK_DEFAULTS: Readonly<LendingCheckOptions> = Object.freeze({
  thresholdProbability: 0.001,
  quietRatio: 0.5,
  maxWindowEvents: 5,
  maxLookbackMs: 7 * 86_400_000,
});

export interface LendingEvidence {
  /** Start of the window: just after a transaction, or when the machine became available. */
  sinceMs: number;
  /** Loans + returns expected over the window's available time. */
  expected: number;
  seen: number;
  /** P(at most `seen` | `expected`). */
  probability: number;
}

export type LendingCheck =
  | { kind: 'insufficient_history'; reason: string }
  | { kind: 'lending'; evidence: LendingEvidence | null }
  | { kind: 'not_lending'; evidence: LendingEvidence; isQuietHour: boolean };

export interface LendingCheckInput {
  nowMs: number;
  model: ExpectedActivity;
  /** The machine's transactions (epoch ms, sorted); only the last few matter. */
  eventMs: readonly number[];
  /** When it was available to readers (in service or degraded, online, active), sorted and disjoint. */
  available: readonly Interval[];
}

export function checkLending(input: LendingCheckInput, options: Partial<LendingCheckOptions> = {}): LendingCheck {
  const o = { ...LENDING_CHECK_DEFAULTS, ...options };
  const { nowMs, model, eventMs, available } = input;
  if (model.kind === 'insufficient_history') return { kind: 'insufficient_history', reason: model.reason };
  const lookbackMs = Math.max(nowMs - o.maxLookbackMs, available[0]?.fromMs ?? nowMs);
  let worst: LendingEvidence | null = null;
  const last = countBefore(eventMs, nowMs);
  for (let seen = 0; seen < o.maxWindowEvents; seen++) {
    const index = last - 1 - seen;
    const eventAtMs = index >= 0 ? eventMs[index]! : Number.NEGATIVE_INFINITY;
    const sinceMs = Math.max(eventAtMs, lookbackMs);
    const expected = expectedOver(model, available, sinceMs, nowMs);
    const probability = poissonCdf(seen, expected);
    if (!worst || probability < worst.probability) worst = { sinceMs, expected, seen, probability };
    if (eventAtMs <= lookbackMs) break;
  }
  // Several windows are tried at once: each is held to its share of the threshold (Bonferroni),
  // so trying more of them does not raise more false alarms.
  if (worst && worst.probability < o.thresholdProbability / o.maxWindowEvents) {
    return { kind: 'not_lending', evidence: worst, isQuietHour: model.relativeRateAt(nowMs) < o.quietRatio };
  }
  return { kind: 'lending', evidence: worst };
}

/** How many of the sorted instants are before `atMs` (binary search: histories are long). */
function countBefore(sortedMs: readonly number[], atMs: number): number {
  let lo = 0;
  let hi = sortedMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedMs[mid]! < atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What the platform does with a check, given whether the machine is already flagged: an alarm
 * is raised only outside quiet hours, and ends when the machine lends as usual again.
 */
export function nextLendingFlag(isFlagged: boolean, check: LendingCheck): 'raise' | 'clear' | 'keep' {
  if (check.kind === 'not_lending') return !isFlagged && !check.isQuietHour ? 'raise' : 'keep';
  if (check.kind === 'lending') return isFlagged ? 'clear' : 'keep';
  return 'keep';
}
