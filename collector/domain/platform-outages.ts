import type { HealthEntry } from './health-entry.js';
import { type Interval, mergeIntervals } from './interval.js';

/**
 * When the platform itself was not receiving, from its markers (oldest first): between a stop (or,
 * after a crash, the last thing it stored) and the next start, and while the collector had lost
 * its broker. Nothing a machine did then was known live, so that time counts for no machine.
 * An outage still going on runs to `nowMs`.
 *
 * Several nodes (markers naming their `node`): each node's markers say when that node was down
 * and when it was receiving; the platform was down only while no node was receiving. Markers
 * without a node (one node, or before the platform became a cluster) are one node's.
 */
export function platformOutages(markers: readonly HealthEntry[], nowMs: number): Interval[] {
  const byNode = new Map<string, HealthEntry[]>();
  for (const marker of markers) {
    const node = 'node' in marker.event && typeof marker.event.node === 'string' ? marker.event.node : '';
    const own = byNode.get(node);
    if (own) own.push(marker);
    else byNode.set(node, [marker]);
  }
  const nodes = [...byNode.values()].map((own) => nodeIntervals(own, nowMs));
  if (nodes.length <= 1) return nodes[0]?.down ?? [];
  return subtract(mergeIntervals(nodes.flatMap((n) => n.down)), mergeIntervals(nodes.flatMap((n) => n.up)));
}

/** One node's time down (as one platform's outages) and receiving, each sorted and disjoint. */
function nodeIntervals(markers: readonly HealthEntry[], nowMs: number): { down: Interval[]; up: Interval[] } {
  const down: Interval[] = [];
  const up: Interval[] = [];
  let downSinceMs: number | null = null;
  let upSinceMs: number | null = null;
  const endUp = (atMs: number) => {
    if (upSinceMs !== null) up.push({ fromMs: upSinceMs, toMs: Math.max(upSinceMs, atMs) });
    upSinceMs = null;
  };
  for (const { event, tsMs } of markers) {
    switch (event.type) {
      case 'platform_started': {
        const crashedAtMs = event.downSince === undefined ? null : Date.parse(event.downSince);
        // Started again without a stop: it crashed, and was receiving until it last stored something.
        endUp(crashedAtMs ?? tsMs);
        const since = downSinceMs ?? crashedAtMs;
        if (since !== null) down.push({ fromMs: since, toMs: tsMs });
        downSinceMs = null;
        upSinceMs = tsMs;
        break;
      }
      case 'platform_stopped':
      case 'collector_link_lost':
        endUp(tsMs);
        downSinceMs ??= tsMs;
        break;
      case 'collector_link_regained':
        if (downSinceMs !== null) down.push({ fromMs: downSinceMs, toMs: tsMs });
        downSinceMs = null;
        upSinceMs ??= tsMs;
        break;
      default:
        break;
    }
  }
  if (downSinceMs !== null) down.push({ fromMs: downSinceMs, toMs: nowMs });
  endUp(nowMs);
  return { down: mergeIntervals(down), up: mergeIntervals(up) };
}

/** What of `from` is not in `minus` (both sorted and disjoint). */
function subtract(from: readonly Interval[], minus: readonly Interval[]): Interval[] {
  const result: Interval[] = [];
  for (const interval of from) {
    let startMs = interval.fromMs;
    for (const cut of minus) {
      if (cut.toMs <= startMs) continue;
      if (cut.fromMs >= interval.toMs) break;
      if (cut.fromMs > startMs) result.push({ fromMs: startMs, toMs: cut.fromMs });
      startMs = Math.max(startMs, cut.toMs);
      if (startMs >= interval.toMs) break;
    }
    if (startMs < interval.toMs) result.push({ fromMs: startMs, toMs: interval.toMs });
  }
  return result;
}
