import type { Calendar, LocalDay } from '../../time/calendar.js';
import type { Ingest } from '../ingest.js';
import type { EventRecord, EventStore } from '../store/event-store.js';

export interface FirstHeard {
  /** The machine's first local day in the history; for a machine never heard from, the platform's; null before anyone. */
  dayOf(kioskId: string): LocalDay | null;
  stop(): void;
}

/**
 * When the platform first heard from each machine: one index seek per registered machine at
 * start (two index reads, no scan), then kept from every stored event. Weeks before it are not
 * held against a machine (no "overdue" for the weeks before a first start).
 */
export async function trackFirstHeard(options: {
  store: EventStore;
  ingest: Ingest;
  calendar: Calendar;
  kioskIds: readonly string[];
}): Promise<FirstHeard> {
  const firstMs = new Map<string, number>();
  let platformFirstMs = Number.POSITIVE_INFINITY;
  const note = (kioskId: string, tsMs: number) => {
    if (tsMs < (firstMs.get(kioskId) ?? Number.POSITIVE_INFINITY)) firstMs.set(kioskId, tsMs);
    platformFirstMs = Math.min(platformFirstMs, tsMs);
  };
  const onStored = (records: EventRecord[]) => {
    for (const record of records) note(record.kioskId, record.tsMs);
  };
  // Subscribed first: an event stored while the history is read is not missed (min is idempotent).
  options.ingest.on('stored', onStored);
  // On a cluster the other nodes' appends count too: a machine first heard by another node.
  options.ingest.on('followed', onStored);
  for (const kioskId of options.kioskIds) {
    const [first] = await options.store.readEvents({ kioskId, limit: 1, order: 'asc' });
    if (first) note(kioskId, first.tsMs);
  }
  const [anyFirst] = await options.store.readEvents({ limit: 1, order: 'asc' });
  if (anyFirst) note(anyFirst.kioskId, anyFirst.tsMs);
  return {
    dayOf(kioskId) {
      const ms = firstMs.get(kioskId) ?? platformFirstMs;
      return Number.isFinite(ms) ? options.calendar.dayOf(ms) : null;
    },
    stop() {
      options.ingest.off('stored', onStored);
      options.ingest.off('followed', onStored);
    },
  };
}
