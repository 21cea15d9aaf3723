import type { LostEstimate } from '../../collector/domain/lost-transactions.js';
import type { KioskLost, LostToDowntime } from '../../collector/health/lost-to-downtime.js';

const HOUR_MS = 3_600_000;

/** An estimate of loans + returns lost to downtime as the JSON answers carry it. */
export function lostView(e: LostEstimate) {
  return {
    expected: e.expected,
    low: e.low,
    high: e.high,
    downtimeHours: e.downtimeMs / HOUR_MS,
    byCause: e.byCause,
  };
}

/** One machine's estimate: over the range, per month, or why there is none. */
export function kioskLostView(k: KioskLost | undefined) {
  if (!k) return null;
  return {
    ...(k.total ? lostView(k.total) : { expected: null, low: null, high: null, downtimeHours: null, byCause: null }),
    byMonth: k.byMonth.map((m) => ({ month: m.month, ...lostView(m) })),
    insufficientHistory: k.insufficientHistory,
  };
}

/** The machines' estimates added up, over the range and per month. */
export function totalLostView(l: Pick<LostToDowntime, 'total' | 'byMonth' | 'kiosksWithoutEstimate'> | null) {
  if (!l) return null;
  return {
    ...lostView(l.total),
    byMonth: l.byMonth.map((m) => ({ month: m.month, ...lostView(m) })),
    kiosksWithoutEstimate: l.kiosksWithoutEstimate,
  };
}
