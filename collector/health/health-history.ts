import { compareEntries, type HealthEntry, MACHINE_HEALTH_EVENT_TYPES } from '../domain/health-entry.js';
import { findHistoryCut, type HistoryCut } from '../domain/history-cut.js';
import type { MachineContext } from '../domain/machine-condition.js';
import { PLATFORM_EVENT_TYPES } from '../domain/platform-events.js';
import type { EventRecord, EventStore } from '../store/event-store.js';
import { healthEventOf } from '../store/stored-event.js';

/** Every event type fleet health is folded from. */
export const HEALTH_EVENT_TYPES: readonly string[] = [...MACHINE_HEALTH_EVENT_TYPES, ...PLATFORM_EVENT_TYPES];

const PAGE = 5_000;

/**
 * The part of the event history fleet health needs, in memory and ordered per machine: connection
 * changes, faults, command acks and platform events. They are rare next to loans and returns (a
 * few a machine a day), but a machine whose connection flaps adds them by the thousand, so a
 * machine's history can be cut (see `cut`): what is older than the cut stays in the store only.
 * Events were validated where they entered the platform.
 */
export class HealthHistory {
  private readonly byKiosk = new Map<string, HealthEntry[]>();
  private readonly markers: HealthEntry[] = [];
  private readonly ids = new Set<string>();
  /** Per machine, the instant its history was cut at: what is dated at or before it is not kept. */
  private readonly cutMs = new Map<string, number>();

  /** Reads every relevant stored event, a page at a time. */
  async load(store: EventStore): Promise<void> {
    let last: EventRecord | undefined;
    for (;;) {
      const page = await store.readEvents({
        types: HEALTH_EVENT_TYPES,
        limit: PAGE,
        ...(last ? { after: { tsMs: last.tsMs, id: last.id } } : {}),
      });
      this.add(page);
      if (page.length < PAGE) return;
      last = page[page.length - 1];
    }
  }

  /** Adds what is new; answers which machines' histories changed and whether platform markers did. */
  add(records: readonly EventRecord[]): { kioskIds: Set<string>; hasNewMarkers: boolean } {
    const kioskIds = new Set<string>();
    let hasNewMarkers = false;
    for (const record of records) {
      const event = healthEventOf(record);
      if (!event || this.ids.has(record.id)) continue;
      // Summed up by the cut already (a late redelivery, or one dated that far back): the store has it.
      if (record.tsMs <= (this.cutMs.get(record.kioskId) ?? Number.NEGATIVE_INFINITY)) continue;
      this.ids.add(record.id);
      const entry: HealthEntry = {
        id: record.id,
        kioskId: record.kioskId,
        tsMs: record.tsMs,
        receivedMs: record.receivedMs,
        event,
      };
      if (record.kioskId === '') {
        insertSorted(this.markers, entry);
        hasNewMarkers = true;
        continue;
      }
      let list = this.byKiosk.get(record.kioskId);
      if (!list) this.byKiosk.set(record.kioskId, (list = []));
      insertSorted(list, entry);
      kioskIds.add(record.kioskId);
    }
    return { kioskIds, hasNewMarkers };
  }

  entriesOf(kioskId: string): readonly HealthEntry[] {
    return this.byKiosk.get(kioskId) ?? [];
  }

  /**
   * Replaces a machine's entries by those of a cut (findHistoryCut): the entries it drops, and
   * their ids, leave memory; events dated at or before it that arrive later are not kept.
   */
  cut(kioskId: string, cut: HistoryCut): void {
    const kept = new Set(cut.entries.map((e) => e.id));
    for (const e of this.byKiosk.get(kioskId) ?? []) if (!kept.has(e.id)) this.ids.delete(e.id);
    this.byKiosk.set(kioskId, cut.entries);
    this.cutMs.set(kioskId, cut.atMs);
  }

  /**
   * Cuts each machine's history at its latest quiet instant before `beforeMs` (findHistoryCut);
   * answers the machines cut and how many entries left memory.
   */
  cutBefore(beforeMs: number, contextOf: (kioskId: string) => MachineContext): { kioskIds: string[]; dropped: number } {
    const kioskIds: string[] = [];
    let dropped = 0;
    for (const [kioskId, entries] of this.byKiosk) {
      if ((entries[0]?.tsMs ?? Number.POSITIVE_INFINITY) > beforeMs) continue;
      const cut = findHistoryCut(kioskId, entries, contextOf(kioskId), beforeMs);
      if (!cut || cut.dropped <= 0) continue;
      this.cut(kioskId, cut);
      kioskIds.push(kioskId);
      dropped += cut.dropped;
    }
    return { kioskIds, dropped };
  }

  /** The latest instant any machine's history was cut at: folds over ranges after it are whole. */
  latestCutMs(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const ms of this.cutMs.values()) latest = Math.max(latest, ms);
    return latest;
  }

  /** Entries held in memory, machines' and platform markers (for tests and the soak's figures). */
  size(): number {
    let n = this.markers.length;
    for (const list of this.byKiosk.values()) n += list.length;
    return n;
  }

  kioskIds(): string[] {
    return [...this.byKiosk.keys()];
  }

  platformMarkers(): readonly HealthEntry[] {
    return this.markers;
  }
}

/** Most entries arrive in order: appended; a late one is put in its place. */
function insertSorted(list: HealthEntry[], entry: HealthEntry): void {
  const last = list.at(-1);
  if (!last || compareEntries(last, entry) <= 0) {
    list.push(entry);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareEntries(list[mid]!, entry) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, entry);
}
