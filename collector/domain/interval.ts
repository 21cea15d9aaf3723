/** A half-open interval of epoch milliseconds, `[fromMs, toMs)`. */
export interface Interval {
  fromMs: number;
  toMs: number;
}

/** Sorted, disjoint intervals covering the same instants; empty intervals are dropped. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.toMs > i.fromMs).sort((a, b) => a.fromMs - b.fromMs);
  const merged: Interval[] = [];
  for (const { fromMs, toMs } of sorted) {
    const last = merged.at(-1);
    if (last && fromMs <= last.toMs) last.toMs = Math.max(last.toMs, toMs);
    else merged.push({ fromMs, toMs });
  }
  return merged;
}

/** Whether `atMs` falls inside one of the sorted, disjoint intervals. */
export function isWithin(intervals: readonly Interval[], atMs: number): boolean {
  let lo = 0;
  let hi = intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const interval = intervals[mid]!;
    if (atMs < interval.fromMs) hi = mid - 1;
    else if (atMs >= interval.toMs) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Milliseconds `[fromMs, toMs)` shares with `[windowFromMs, windowToMs)`. */
export function overlapMs(fromMs: number, toMs: number, windowFromMs: number, windowToMs: number): number {
  return Math.max(0, Math.min(toMs, windowToMs) - Math.max(fromMs, windowFromMs));
}
