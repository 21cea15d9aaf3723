import {
  compareEntries,
  type HealthEntry,
  type HealthEvent,
  type HealthStatusEvent,
  MACHINE_HEALTH_EVENT_TYPES,
} from '../domain/health-entry.js';
import { findHistoryCut, type HistoryCut } from '../domain/history-cut.js';
import type { MachineContext } from '../domain/machine-condition.js';
import { statusEventId } from '../domain/fleet-event.js';
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
 *
 * Kept compact, because connection churn is what fills it (docs/benchmarks.md, "Soak"): per
 * machine, columns of ids, instants and events rather than one object per entry (a stored status
 * record is ~660 bytes as objects, ~50 here: five 8-byte columns and the arrays' spare room),
 * statuses reduced to what the folds read and shared between the entries of one boot, a status's
 * id kept as the instant it was sent when the id is the one made from it (statusEventId), and no
 * set of ids (a repeat is found by its instant). Entries are built on each read; readers must not
 * keep them (they fold and let go).
 */
export class HealthHistory {
  private readonly byKiosk = new Map<string, EntryLog>();
  private readonly markers = new EntryLog('');
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
      if (!event) continue;
      // Summed up by the cut already (a late redelivery, or one dated that far back): the store has it.
      if (record.tsMs <= (this.cutMs.get(record.kioskId) ?? Number.NEGATIVE_INFINITY)) continue;
      let log = record.kioskId === '' ? this.markers : this.byKiosk.get(record.kioskId);
      if (!log) this.byKiosk.set(record.kioskId, (log = new EntryLog(record.kioskId)));
      if (!log.insert(record, event)) continue;
      if (record.kioskId === '') hasNewMarkers = true;
      else kioskIds.add(record.kioskId);
    }
    return { kioskIds, hasNewMarkers };
  }

  entriesOf(kioskId: string): readonly HealthEntry[] {
    return this.byKiosk.get(kioskId)?.entries() ?? [];
  }

  /**
   * Replaces a machine's entries by those of a cut (findHistoryCut): the entries it drops leave
   * memory; events dated at or before it that arrive later are not kept.
   */
  cut(kioskId: string, cut: HistoryCut): void {
    const log = new EntryLog(kioskId);
    for (const entry of cut.entries) log.push(entry);
    this.byKiosk.set(kioskId, log);
    this.cutMs.set(kioskId, cut.atMs);
  }

  /**
   * Cuts each machine's history at its latest quiet instant before `beforeMs` (findHistoryCut);
   * answers the machines cut and how many entries left memory.
   */
  cutBefore(beforeMs: number, contextOf: (kioskId: string) => MachineContext): { kioskIds: string[]; dropped: number } {
    const kioskIds: string[] = [];
    let dropped = 0;
    for (const [kioskId, log] of this.byKiosk) {
      if (log.firstMs() > beforeMs) continue;
      const cut = findHistoryCut(kioskId, log.entries(), contextOf(kioskId), beforeMs);
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
    let n = this.markers.size();
    for (const log of this.byKiosk.values()) n += log.size();
    return n;
  }

  kioskIds(): string[] {
    return [...this.byKiosk.keys()];
  }

  platformMarkers(): readonly HealthEntry[] {
    return this.markers.entries();
  }
}

/**
 * One machine's entries (or the platform markers), sorted by compareEntries, in columns. Arrays
 * holding only numbers store them unboxed, 8 bytes each.
 */
class EntryLog {
  /** The id, or undefined for a status whose id is statusEventId of its `sentMs`. */
  private readonly ids: (string | undefined)[] = [];
  /** For those statuses, the instant they were sent; NaN for the others. */
  private readonly sentMs: number[] = [];
  private readonly tsMs: number[] = [];
  private readonly receivedMs: number[] = [];
  private readonly events: HealthEvent[] = [];
  /** The status events last kept, by state: the next of the same boot shares the object. */
  private readonly statuses = new Map<string, HealthStatusEvent>();

  constructor(private readonly kioskId: string) {}

  size(): number {
    return this.ids.length;
  }

  firstMs(): number {
    return this.tsMs[0] ?? Number.POSITIVE_INFINITY;
  }

  entries(): HealthEntry[] {
    const entries = new Array<HealthEntry>(this.ids.length);
    for (let i = 0; i < entries.length; i++) entries[i] = this.entryAt(i);
    return entries;
  }

  /** Adds a stored record in its place; false when an entry with its id and instant is there already. */
  insert(record: EventRecord, event: HealthEvent): boolean {
    if (this.has(record.id, record.tsMs)) return false;
    const kept = this.compact(event);
    const entry = { id: record.id, kioskId: this.kioskId, tsMs: record.tsMs, receivedMs: record.receivedMs, event: kept };
    const sentMs = kept.type === 'status' ? Date.parse(String(record.data.sentTs)) : Number.NaN;
    const isIdMadeFromSentMs = kept.type === 'status' && statusEventId(this.kioskId, kept, sentMs) === record.id;
    this.push(entry, isIdMadeFromSentMs ? sentMs : Number.NaN);
    return true;
  }

  /**
   * Most entries arrive in order: appended; a late one is put in its place. With `sentMs` (a
   * status whose id is made from it), the id is not kept but made again when read.
   */
  push(entry: HealthEntry, sentMs = Number.NaN): void {
    const n = this.ids.length;
    let at = n;
    if (n > 0 && compareEntries(this.entryAt(n - 1), entry) > 0) {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareEntries(this.entryAt(mid), entry) <= 0) lo = mid + 1;
        else hi = mid;
      }
      at = lo;
    }
    this.ids.splice(at, 0, Number.isNaN(sentMs) ? entry.id : undefined);
    this.sentMs.splice(at, 0, sentMs);
    this.tsMs.splice(at, 0, entry.tsMs);
    this.receivedMs.splice(at, 0, entry.receivedMs);
    this.events.splice(at, 0, entry.event);
  }

  private entryAt(i: number): HealthEntry {
    return {
      id: this.idAt(i),
      kioskId: this.kioskId,
      tsMs: this.tsMs[i]!,
      receivedMs: this.receivedMs[i]!,
      event: this.events[i]!,
    };
  }

  private idAt(i: number): string {
    return this.ids[i] ?? statusEventId(this.kioskId, this.events[i] as HealthStatusEvent, this.sentMs[i]!);
  }

  /** Entries are sorted by instant first: a repeat sits among those of its instant. */
  private has(id: string, atMs: number): boolean {
    let lo = 0;
    let hi = this.tsMs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tsMs[mid]! < atMs) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.tsMs.length && this.tsMs[i] === atMs; i++) if (this.idAt(i) === id) return true;
    return false;
  }

  /** A status keeps what the folds read; one boot's repeated statuses share one object. */
  private compact(event: HealthEvent): HealthEvent {
    if (event.type !== 'status') return event;
    const { state, bootId, announced, reason } = event;
    const kept = this.statuses.get(state);
    if (kept && kept.bootId === bootId && kept.announced === announced && kept.reason === reason) return kept;
    const slim: HealthStatusEvent = {
      type: 'status',
      state,
      ...(bootId !== undefined ? { bootId } : {}),
      ...(announced !== undefined ? { announced } : {}),
      ...(reason !== undefined ? { reason } : {}),
    };
    this.statuses.set(state, slim);
    return slim;
  }
}
