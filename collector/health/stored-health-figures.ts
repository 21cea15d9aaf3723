import type { Lifecycle } from '../../registry/kiosk.js';
import type { Calendar, LocalMonth } from '../../time/calendar.js';
import { type Alert, foldAlerts } from '../domain/alerts.js';
import type { EscalationPolicy } from '../domain/escalation.js';
import { monthlyFaultResponse, type MonthlyFaultResponse } from '../domain/fault-response.js';
import { fleetReaderUptime, fleetReliability, fleetUptime } from '../domain/fleet-figures.js';
import type { MachineContext } from '../domain/machine-condition.js';
import { platformOutages } from '../domain/platform-outages.js';
import { type ServiceInterval, serviceTimeline } from '../domain/service-state.js';
import type { TimeWindow } from '../domain/uptime.js';
import type { EventStore } from '../store/event-store.js';
import { HealthHistory } from './health-history.js';

/** The figures over a range that fleet health answers: from memory, or from the store for older ranges. */
export interface HealthFigures {
  uptime(window: TimeWindow, kioskIds?: readonly string[]): ReturnType<typeof fleetUptime>;
  readerUptime(window: TimeWindow, kioskIds?: readonly string[]): ReturnType<typeof fleetReaderUptime>;
  reliability(window: TimeWindow, kioskIds?: readonly string[]): ReturnType<typeof fleetReliability>;
  timeline(kioskId: string, fromMs: number, toMs: number): ServiceInterval[];
  faultResponse(month: LocalMonth, kioskId?: string): MonthlyFaultResponse;
}

export interface StoredFiguresOptions {
  store: EventStore;
  calendar: Calendar;
  policy: EscalationPolicy;
  listKioskIds: () => readonly string[];
  lifecycleOf: (kioskId: string) => Lifecycle | undefined;
  now: () => number;
}

/**
 * The same folds as FleetHealth's, over the whole health history read from the store: for a range
 * that starts before what fleet health keeps in memory (see findHistoryCut). Reads every health
 * event once, as a start does; rare (an uptime of a year long past), so nothing is cached.
 */
export async function storedHealthFigures(options: StoredFiguresOptions): Promise<HealthFigures> {
  const history = new HealthHistory();
  await history.load(options.store);
  const outages = platformOutages(history.platformMarkers(), Number.POSITIVE_INFINITY);
  const contextOf = (kioskId: string): MachineContext => ({ outages, lifecycle: options.lifecycleOf(kioskId) ?? 'active' });
  const view = { entriesOf: (kioskId: string) => history.entriesOf(kioskId), contextOf };
  const known = [...new Set([...options.listKioskIds(), ...history.kioskIds()])].sort();
  const alertsOf = (kioskId: string): Alert[] => {
    const entries = history.entriesOf(kioskId);
    const nowMs = options.now();
    return foldAlerts(kioskId, entries, contextOf(kioskId), Math.max(nowMs, entries.at(-1)?.tsMs ?? nowMs));
  };
  return {
    uptime: (window, kioskIds = known) => fleetUptime(view, kioskIds, window),
    readerUptime: (window, kioskIds = known) => fleetReaderUptime(view, kioskIds, window),
    reliability: (window, kioskIds = known) => fleetReliability(view, kioskIds, window),
    timeline: (kioskId, fromMs, toMs) =>
      serviceTimeline(history.entriesOf(kioskId), contextOf(kioskId), toMs)
        .filter((i) => i.toMs > fromMs)
        .map((i) => ({ ...i, fromMs: Math.max(i.fromMs, fromMs) })),
    faultResponse: (month, kioskId) =>
      monthlyFaultResponse(
        (kioskId === undefined ? known : [kioskId])
          .flatMap(alertsOf)
          .sort((a, b) => b.openedAtMs - a.openedAtMs || (a.id < b.id ? -1 : 1)),
        month,
        options.calendar,
        options.now(),
        options.policy,
      ),
  };
}
