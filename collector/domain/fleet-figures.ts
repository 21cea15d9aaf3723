import {
  type ComponentReliability,
  componentIncidents,
  componentReliability,
  machineReliability,
  type ReliabilityFigures,
  sumComponentReliability,
} from './fault-response.js';
import type { HealthEntry } from './health-entry.js';
import type { MachineContext } from './machine-condition.js';
import { readerTimeline } from './reader-timeline.js';
import { type ReaderUptimeFigures, readerUptimeOf, sumReaderUptime } from './reader-uptime.js';
import { serviceTimeline } from './service-state.js';
import { sumUptime, type TimeWindow, uptimeOf, type UptimeFigures } from './uptime.js';

/** What window figures are folded from: each machine's history and context. */
export interface FleetHistoryView {
  entriesOf(kioskId: string): readonly HealthEntry[];
  contextOf(kioskId: string): MachineContext;
}

export interface KioskUptime extends UptimeFigures {
  kioskId: string;
}

export interface KioskReliability extends ReliabilityFigures {
  kioskId: string;
  expectedMs: number;
  byComponent: ComponentReliability[];
}

/** Uptime of each machine over the window, and of the fleet (their time added up). */
export function fleetUptime(
  view: FleetHistoryView,
  kioskIds: readonly string[],
  window: TimeWindow,
): { fleet: UptimeFigures; kiosks: KioskUptime[] } {
  const { fromMs, countedToMs } = window;
  const kiosks = kioskIds.map((kioskId) => ({
    kioskId,
    ...uptimeOf(serviceTimeline(view.entriesOf(kioskId), view.contextOf(kioskId), countedToMs), fromMs, countedToMs),
  }));
  return { fleet: sumUptime(kiosks), kiosks };
}

export interface KioskReaderUptime extends ReaderUptimeFigures {
  kioskId: string;
}

/** Reader-side availability (reader-uptime.ts) of each machine over the window, and of the fleet. */
export function fleetReaderUptime(
  view: FleetHistoryView,
  kioskIds: readonly string[],
  window: TimeWindow,
): { fleet: ReaderUptimeFigures; kiosks: KioskReaderUptime[] } {
  const { fromMs, countedToMs } = window;
  const kiosks = kioskIds.map((kioskId) => ({
    kioskId,
    ...readerUptimeOf(readerTimeline(view.entriesOf(kioskId), view.contextOf(kioskId), countedToMs), fromMs, countedToMs),
  }));
  return { fleet: sumReaderUptime(kiosks), kiosks };
}

/** MTBF and MTTR of each machine and per component, and per component for the fleet. */
export function fleetReliability(
  view: FleetHistoryView,
  kioskIds: readonly string[],
  window: TimeWindow,
): { kiosks: KioskReliability[]; byComponent: ComponentReliability[] } {
  const { fromMs, countedToMs } = window;
  const kiosks = kioskIds.map((kioskId): KioskReliability => {
    const entries = view.entriesOf(kioskId);
    const context = view.contextOf(kioskId);
    const machine = machineReliability(serviceTimeline(entries, context, countedToMs), fromMs, countedToMs);
    const incidents = componentIncidents(entries, context, countedToMs);
    return { kioskId, ...machine, byComponent: componentReliability(incidents, machine.expectedMs, fromMs, countedToMs) };
  });
  const totalExpectedMs = kiosks.reduce((sum, k) => sum + k.expectedMs, 0);
  return {
    kiosks,
    byComponent: sumComponentReliability(
      kiosks.map((k) => k.byComponent),
      totalExpectedMs,
    ),
  };
}
