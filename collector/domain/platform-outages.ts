import type { HealthEntry } from './health-entry.js';
import { type Interval, mergeIntervals } from './interval.js';

/**
 * When the platform itself was not receiving, from its markers (oldest first): between a stop (or,
 * after a crash, the last thing it stored) and the next start, and while the collector had lost
 * its broker. Nothing a machine did then was known live, so that time counts for no machine.
 * An outage still going on runs to `nowMs`.
 */
export function platformOutages(markers: readonly HealthEntry[], nowMs: number): Interval[] {
  const outages: Interval[] = [];
  let downSinceMs: number | null = null;
  for (const { event, tsMs } of markers) {
    switch (event.type) {
      case 'platform_started': {
        const since = downSinceMs ?? (event.downSince === undefined ? null : Date.parse(event.downSince));
        if (since !== null) outages.push({ fromMs: since, toMs: tsMs });
        downSinceMs = null;
        break;
      }
      case 'platform_stopped':
      case 'collector_link_lost':
        downSinceMs ??= tsMs;
        break;
      case 'collector_link_regained':
        if (downSinceMs !== null) outages.push({ fromMs: downSinceMs, toMs: tsMs });
        downSinceMs = null;
        break;
      default:
        break;
    }
  }
  if (downSinceMs !== null) outages.push({ fromMs: downSinceMs, toMs: nowMs });
  return mergeIntervals(outages);
}
