import type { Alert, AlertComponent } from './alerts.js';
import type { Calendar, LocalMonth } from '../../time/calendar.js';
import { type EscalationPolicy, responseOf } from './escalation.js';
import type { HealthEntry } from './health-entry.js';
import { overlapMs } from './interval.js';
import { isOffline, type MachineContext, walkMachine } from './machine-condition.js';
import type { ServiceInterval, ServiceState } from './service-state.js';

/**
 * The `p`-th percentile (0–100) of ascending values, interpolating between closest ranks (as
 * spreadsheets' PERCENTILE.INC does): the median of [1, 3] is 2. Null for no values.
 */
export function percentile(sortedValues: readonly number[], p: number): number | null {
  if (sortedValues.length === 0) return null;
  const rank = (p / 100) * (sortedValues.length - 1);
  const below = Math.floor(rank);
  const lower = sortedValues[below]!;
  const upper = sortedValues[Math.min(below + 1, sortedValues.length - 1)]!;
  return lower + (upper - lower) * (rank - below);
}

/** How the fleet answered the faults of one calendar month (alerts opened in it). */
export interface MonthlyFaultResponse {
  month: LocalMonth;
  alertsOpened: number;
  restored: number;
  restoredWithinPromise: number;
  /** Still open and still inside the promise: not decided yet, left out of the share. */
  pending: number;
  /** restoredWithinPromise ÷ (alertsOpened − pending), 0–1; null when nothing is decided. */
  shareRestoredWithinPromise: number | null;
  medianTimeToRestoreMs: number | null;
  p90TimeToRestoreMs: number | null;
  medianTimeToAcknowledgeMs: number | null;
  p90TimeToAcknowledgeMs: number | null;
}

export function monthlyFaultResponse(
  alerts: readonly Alert[],
  month: LocalMonth,
  calendar: Calendar,
  nowMs: number,
  policy: EscalationPolicy,
): MonthlyFaultResponse {
  const inMonth = alerts.filter((a) => calendar.monthOf(a.openedAtMs) === month);
  const responses = inMonth.map((a) => responseOf(a, nowMs, policy));
  const restoreMs = responses.flatMap((r) => (r.timeToRestoreMs === null ? [] : [r.timeToRestoreMs])).sort((a, b) => a - b);
  const acknowledgeMs = responses
    .flatMap((r) => (r.timeToAcknowledgeMs === null ? [] : [r.timeToAcknowledgeMs]))
    .sort((a, b) => a - b);
  const pending = responses.filter((r) => r.isRestoredWithinPromise === null).length;
  const restoredWithinPromise = responses.filter((r) => r.isRestoredWithinPromise === true).length;
  const decided = inMonth.length - pending;
  return {
    month,
    alertsOpened: inMonth.length,
    restored: restoreMs.length,
    restoredWithinPromise,
    pending,
    shareRestoredWithinPromise: decided > 0 ? restoredWithinPromise / decided : null,
    medianTimeToRestoreMs: percentile(restoreMs, 50),
    p90TimeToRestoreMs: percentile(restoreMs, 90),
    medianTimeToAcknowledgeMs: percentile(acknowledgeMs, 50),
    p90TimeToAcknowledgeMs: percentile(acknowledgeMs, 90),
  };
}

/** A spell during which a component had at least one open fault (or the machine was offline). */
export interface ComponentIncident {
  component: AlertComponent;
  startMs: number;
  endMs: number | null;
}

/** Spells of trouble per component of one machine; overlapping faults on a component are one spell. */
export function componentIncidents(
  entries: readonly HealthEntry[],
  context: MachineContext,
  untilMs: number,
): ComponentIncident[] {
  const incidents: ComponentIncident[] = [];
  const openByComponent = new Map<AlertComponent, ComponentIncident>();
  for (const { atMs, condition } of walkMachine(entries, context, untilMs)) {
    const troubled = new Set<AlertComponent>([...condition.faults.values()].map((f) => f.component));
    if (isOffline(condition)) troubled.add('connection');
    for (const [component, incident] of openByComponent) {
      if (troubled.has(component)) continue;
      incident.endMs = atMs;
      openByComponent.delete(component);
    }
    for (const component of troubled) {
      if (openByComponent.has(component)) continue;
      const incident = { component, startMs: atMs, endMs: null };
      incidents.push(incident);
      openByComponent.set(component, incident);
    }
  }
  return incidents;
}

export interface ReliabilityFigures {
  /** Times it went from serving readers (or any other state) to out of service or offline, inside the window. */
  failures: number;
  availableMs: number;
  downMs: number;
  /** Mean time between failures: available time ÷ failures. */
  mtbfMs: number | null;
  /** Mean time to repair: down time ÷ failures. */
  mttrMs: number | null;
}

export interface ComponentReliability {
  component: AlertComponent;
  failures: number;
  restored: number;
  /** Time the machine(s) were expected in service ÷ failures of this component. */
  mtbfMs: number | null;
  /** Mean length of this component's spells that ended. */
  mttrMs: number | null;
  /** Sums behind the means, so machines can be added up into the fleet. */
  expectedMs: number;
  repairMs: number;
}

const DOWN: readonly ServiceState[] = ['out_of_service', 'offline'];
const EXPECTED: readonly ServiceState[] = ['in_service', 'degraded', 'out_of_service', 'offline'];

/** Machine-level MTBF and MTTR over `[fromMs, toMs)` from its timeline; unknown spells do not split a failure. */
export function machineReliability(
  timeline: readonly ServiceInterval[],
  fromMs: number,
  toMs: number,
): ReliabilityFigures & { expectedMs: number } {
  let failures = 0;
  let availableMs = 0;
  let downMs = 0;
  let expectedMs = 0;
  let wasDown = false;
  for (const interval of timeline) {
    const ms = overlapMs(interval.fromMs, interval.toMs, fromMs, toMs);
    const isDown = DOWN.includes(interval.state);
    if (isDown) downMs += ms;
    else if (interval.state === 'in_service' || interval.state === 'degraded') availableMs += ms;
    if (EXPECTED.includes(interval.state)) expectedMs += ms;
    if (isDown && !wasDown && interval.fromMs >= fromMs && interval.fromMs < toMs) failures++;
    if (interval.state !== 'unknown') wasDown = isDown;
  }
  return {
    failures,
    availableMs,
    downMs,
    expectedMs,
    mtbfMs: failures > 0 ? availableMs / failures : null,
    mttrMs: failures > 0 ? downMs / failures : null,
  };
}

/** Per-component MTBF and MTTR of incidents that started in `[fromMs, toMs)`. */
export function componentReliability(
  incidents: readonly ComponentIncident[],
  expectedMs: number,
  fromMs: number,
  toMs: number,
): ComponentReliability[] {
  const byComponent = new Map<AlertComponent, ComponentReliability>();
  for (const incident of incidents) {
    if (incident.startMs < fromMs || incident.startMs >= toMs) continue;
    let figures = byComponent.get(incident.component);
    if (!figures) {
      figures = { component: incident.component, failures: 0, restored: 0, mtbfMs: null, mttrMs: null, expectedMs, repairMs: 0 };
      byComponent.set(incident.component, figures);
    }
    figures.failures++;
    if (incident.endMs !== null) {
      figures.restored++;
      figures.repairMs += incident.endMs - incident.startMs;
    }
  }
  return [...byComponent.values()]
    .map(withMeans)
    .sort((a, b) => b.failures - a.failures || a.component.localeCompare(b.component));
}

function withMeans(f: ComponentReliability): ComponentReliability {
  return {
    ...f,
    mtbfMs: f.failures > 0 ? f.expectedMs / f.failures : null,
    mttrMs: f.restored > 0 ? f.repairMs / f.restored : null,
  };
}

/** Adds machines' per-component figures into the fleet's (expected time summed over every machine). */
export function sumComponentReliability(
  perMachine: readonly ComponentReliability[][],
  totalExpectedMs: number,
): ComponentReliability[] {
  const sums = new Map<AlertComponent, ComponentReliability>();
  for (const list of perMachine) {
    for (const f of list) {
      const sum = sums.get(f.component) ?? {
        component: f.component,
        failures: 0,
        restored: 0,
        mtbfMs: null,
        mttrMs: null,
        expectedMs: totalExpectedMs,
        repairMs: 0,
      };
      sum.failures += f.failures;
      sum.restored += f.restored;
      sum.repairMs += f.repairMs;
      sums.set(f.component, sum);
    }
  }
  return [...sums.values()].map(withMeans).sort((a, b) => b.failures - a.failures || a.component.localeCompare(b.component));
}
