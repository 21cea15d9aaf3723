import { type ActivityModel, expectedOver } from './expected-activity.js';
import type { Interval } from './interval.js';
import { Z_90 } from './poisson.js';

/**
 * Loans + returns lost to downtime: for every interval a machine was out of service, offline,
 * paused or not lending, what it usually does then (expected-activity.ts). Pure.
 *
 * Uncertainty: readers come one by one (Poisson: variance = expected), and the model's level is
 * itself estimated from a few hundred transactions (its relative error, applied to the whole
 * estimate); the two add as variances. The interval is 90 %, never below zero.
 */

export const DOWNTIME_CAUSES = ['out_of_service', 'offline', 'paused', 'not_lending'] as const;
export type DowntimeCause = (typeof DOWNTIME_CAUSES)[number];

export interface Downtime extends Interval {
  cause: DowntimeCause;
}

export interface LostEstimate {
  /** Expected loans + returns lost. */
  expected: number;
  /** 90 % interval. */
  low: number;
  high: number;
  downtimeMs: number;
  byCause: Record<DowntimeCause, number>;
}

export const emptyLostEstimate = (): LostEstimate => ({
  expected: 0,
  low: 0,
  high: 0,
  downtimeMs: 0,
  byCause: { out_of_service: 0, offline: 0, paused: 0, not_lending: 0 },
});

/** One machine's lost transactions over `[fromMs, toMs)`, from its model of usual activity. */
export function estimateLost(
  model: ActivityModel,
  downtime: readonly Downtime[],
  fromMs: number,
  toMs: number,
): LostEstimate & { variance: number } {
  const estimate = { ...emptyLostEstimate(), variance: 0 };
  for (const d of downtime) {
    const from = Math.max(d.fromMs, fromMs);
    const to = Math.min(d.toMs, toMs);
    if (to <= from) continue;
    const lost = expectedOver(model, [d], from, to);
    estimate.expected += lost;
    estimate.byCause[d.cause] += lost;
    estimate.downtimeMs += to - from;
  }
  estimate.variance = estimate.expected + (model.levelRelativeError * estimate.expected) ** 2;
  return withInterval(estimate);
}

function withInterval<T extends LostEstimate & { variance: number }>(e: T): T {
  const half = Z_90 * Math.sqrt(e.variance);
  return { ...e, low: Math.max(0, e.expected - half), high: e.expected + half };
}

/** Several machines' (or months') estimates added up; variances add as the errors are independent. */
export function sumLost(estimates: readonly (LostEstimate & { variance: number })[]): LostEstimate & { variance: number } {
  const total = { ...emptyLostEstimate(), variance: 0 };
  for (const e of estimates) {
    total.expected += e.expected;
    total.downtimeMs += e.downtimeMs;
    total.variance += e.variance;
    for (const cause of DOWNTIME_CAUSES) total.byCause[cause] += e.byCause[cause];
  }
  return withInterval(total);
}
