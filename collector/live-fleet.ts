import { EventEmitter } from 'node:events';
import { type Calendar, nextDay } from '../time/calendar.js';
import { foldEvent, foldTelemetry, initialKioskState, type KioskLiveState, rollDay } from './domain/fleet-state.js';
import type { EventRecord, EventStore, TelemetryRecord } from './store/event-store.js';
import { fleetEventOf } from './store/stored-event.js';

export interface LiveFleetEvents {
  /** Machines whose live state changed, with their new state. */
  changed: [KioskLiveState[]];
}

const REBUILD_PAGE = 5_000;

/**
 * The live picture of the fleet: the fold of the event history, kept in memory and rebuilt
 * from the store on start, so a restarted collector holds nothing it cannot recover.
 */
export class LiveFleet extends EventEmitter<LiveFleetEvents> {
  private readonly kiosks = new Map<string, KioskLiveState>();

  constructor(
    private readonly calendar: Calendar,
    private readonly now: () => number,
  ) {
    super();
  }

  get(kioskId: string): KioskLiveState | undefined {
    return this.kiosks.get(kioskId);
  }

  all(): KioskLiveState[] {
    return [...this.kiosks.values()];
  }

  /** Makes sure a machine appears (as `unknown`) even before it has said anything. */
  ensure(kioskIds: Iterable<string>): void {
    const today = this.calendar.dayOf(this.now());
    for (const id of kioskIds) if (!this.kiosks.has(id)) this.kiosks.set(id, initialKioskState(id, today));
  }

  applyEvents(records: readonly EventRecord[]): void {
    const changed = new Map<string, KioskLiveState>();
    for (const record of records) {
      const event = fleetEventOf(record);
      if (!event) continue; // the platform's own records say nothing of a machine's live state
      const before = this.stateOf(record.kioskId);
      const after = foldEvent(before, event, record.tsMs, this.calendar);
      if (after !== before) {
        this.kiosks.set(record.kioskId, after);
        changed.set(record.kioskId, after);
      }
    }
    if (changed.size > 0) this.emit('changed', [...changed.values()]);
  }

  applyTelemetry(records: readonly TelemetryRecord[]): void {
    const changed = new Map<string, KioskLiveState>();
    for (const record of records) {
      const before = this.stateOf(record.kioskId);
      const after = foldTelemetry(before, record.tsMs, record.readings);
      if (after !== before) {
        this.kiosks.set(record.kioskId, after);
        changed.set(record.kioskId, after);
      }
    }
    if (changed.size > 0) this.emit('changed', [...changed.values()]);
  }

  /** Starts the day's counters afresh after local midnight. */
  rollDay(): void {
    const today = this.calendar.dayOf(this.now());
    const changed: KioskLiveState[] = [];
    for (const [id, state] of this.kiosks) {
      const rolled = rollDay(state, today);
      if (rolled !== state) {
        this.kiosks.set(id, rolled);
        changed.push(rolled);
      }
    }
    if (changed.length > 0) this.emit('changed', changed);
  }

  /**
   * Replays what the live picture needs: every connection change and fault (rare events), and
   * today's loans and returns from the store's pushed-down counts.
   */
  async rebuild(store: EventStore): Promise<void> {
    let after: EventRecord | undefined;
    for (;;) {
      const page = await store.readEvents({
        types: ['status', 'fault', 'fault_cleared'],
        limit: REBUILD_PAGE,
        ...(after ? { after: { tsMs: after.tsMs, id: after.id } } : {}),
      });
      for (const record of page) {
        const event = fleetEventOf(record);
        if (event) this.kiosks.set(record.kioskId, foldEvent(this.stateOf(record.kioskId), event, record.tsMs, this.calendar));
      }
      if (page.length < REBUILD_PAGE) break;
      after = page[page.length - 1];
    }
    const today = this.calendar.dayOf(this.now());
    const counts = await store.countByPeriod({
      granularity: 'day',
      fromDay: today,
      toDay: nextDay(today),
      types: ['loan', 'return'],
      byKiosk: true,
    });
    for (const row of counts) {
      const state = this.stateOf(row.kioskId!);
      const day = { ...state.today, day: today };
      if (row.type === 'loan') day.loans = row.count;
      else day.returns = row.count;
      this.kiosks.set(row.kioskId!, { ...state, today: day });
    }
  }

  private stateOf(kioskId: string): KioskLiveState {
    return this.kiosks.get(kioskId) ?? initialKioskState(kioskId, this.calendar.dayOf(this.now()));
  }
}
