import { type ActivityModel, expectedOver } from './expected-activity.js';
import type { Interval } from './interval.js';
import type { ReaderInterval } from './reader-timeline.js';
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

/**
 * The downtime in a reader timeline: out of service, offline, paused, or in service but not
 * lending. Maintenance, withdrawn, reserve and unknown time is not downtime (nobody expected the
 * machine to serve, or the platform knew nothing).
 */
export function downtimeOf(timeline: readonly ReaderInterval[]): Downtime[] {
  const downtime: Downtime[] = [];
  for (const i of timeline) {
    const cause: DowntimeCause | null = i.isNotLending
      ? 'not_lending'
      : i.state === 'out_of_service' || i.state === 'offline' || i.state === 'paused'
        ? i.state
        : null;
    if (cause !== null) downtime.push({ fromMs: i.fromMs, toMs: i.toMs, cause });
  }
  return downtime;
}

/** A period a report counts over (a local month), `[fromMs, toMs)`. */
export interface LostPeriod {
  period: string;
  fromMs: number;
  toMs: number;
}

/** One machine's lost transactions per period, and over them all. */
export function estimateLostByPeriod(
  model: ActivityModel,
  downtime: readonly Downtime[],
  periods: readonly LostPeriod[],
): { byPeriod: (LostEstimate & { variance: number; period: string })[]; total: LostEstimate & { variance: number } } {
  const byPeriod = periods.map((p) => ({ period: p.period, ...estimateLost(model, downtime, p.fromMs, p.toMs) }));
  if (periods.length === 0) return { byPeriod, total: { ...emptyLostEstimate(), variance: 0 } };
  // One model for every period: its level error is shared, not independent, so the total's
  // interval is that of one estimate over all the downtime, not the sum of the periods' variances.
  const total = estimateLost(model, downtime, Math.min(...periods.map((p) => p.fromMs)), Math.max(...periods.map((p) => p.toMs)));
  return { byPeriod, total };
}
