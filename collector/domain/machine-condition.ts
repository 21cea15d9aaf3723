import type { Component, Severity } from '../../protocol/events.js';
import type { Lifecycle } from '../../registry/kiosk.js';
import { compareEntries, type HealthEntry, isBlockingFault } from './health-entry.js';
import { type Interval, isWithin, mergeIntervals } from './interval.js';

export interface FaultCondition {
  faultId: string;
  component: Component;
  code: string;
  severity: Severity;
  isBlocking: boolean;
  sinceMs: number;
}

/** The platform judged the machine online but not lending (kiosk_not_lending), with its evidence. */
export interface NotLendingCondition {
  sinceMs: number;
  detectedAtMs: number;
  expected: number;
  seen: number;
  probability: number;
}

/** What is true of one machine at an instant, as far as its service is concerned. */
export interface MachineCondition {
  /** `never`: not heard from since the history began. */
  connection: 'never' | 'online' | 'offline';
  bootId: string | null;
  /** Online by its status, but silent past the timeout (recorded as `kiosk_silent`). */
  isSilent: boolean;
  /** Start of the current offline spell (Last Will, offline status or silence); null when online. */
  offlineSinceMs: number | null;
  faults: ReadonlyMap<string, FaultCondition>;
  lifecycle: Lifecycle;
  isInMaintenance: boolean;
  /** The platform itself was not receiving: nothing is known of the machine. */
  isPlatformDown: boolean;
  /** Online and in service, but not lending (a silent failure); null when lending as usual. */
  notLending: NotLendingCondition | null;
}

export interface MachineContext {
  /** Platform outages, sorted and disjoint (see platformOutages). */
  outages: readonly Interval[];
  /** The machine's lifecycle when no change was ever recorded (the registry's). */
  lifecycle: Lifecycle;
}

export interface ConditionStep {
  atMs: number;
  /** Entries that took effect at this instant, in order. */
  applied: HealthEntry[];
  /** The condition from this instant until the next step. */
  condition: MachineCondition;
}

export const isOffline = (c: MachineCondition): boolean => c.connection === 'offline' || c.isSilent;

/** Operators expect the machine to serve readers: active, and not inside planned maintenance. */
export const isExpectedInService = (c: MachineCondition): boolean => c.lifecycle === 'active' && !c.isInMaintenance;

function applyEntry(c: MachineCondition, entry: HealthEntry): MachineCondition {
  const { event, tsMs } = entry;
  switch (event.type) {
    case 'status': {
      if (event.state === 'online')
        return { ...c, connection: 'online', bootId: event.bootId ?? null, isSilent: false, offlineSinceMs: null };
      // A Last Will from an earlier connection says nothing of the current one.
      const isStaleWill = event.bootId !== undefined && c.bootId !== null && event.bootId !== c.bootId;
      if (isStaleWill || c.connection === 'offline') return c;
      return { ...c, connection: 'offline', isSilent: false, offlineSinceMs: c.isSilent ? c.offlineSinceMs : tsMs };
    }
    case 'fault': {
      if (c.faults.has(event.faultId)) return c;
      const faults = new Map(c.faults);
      const { faultId, component, code, severity } = event;
      faults.set(faultId, { faultId, component, code, severity, isBlocking: isBlockingFault(event), sinceMs: tsMs });
      return { ...c, faults };
    }
    case 'fault_cleared': {
      if (!c.faults.has(event.faultId)) return c;
      const faults = new Map(c.faults);
      faults.delete(event.faultId);
      return { ...c, faults };
    }
    case 'kiosk_silent':
      return c.connection === 'online' && !c.isSilent ? { ...c, isSilent: true, offlineSinceMs: tsMs } : c;
    case 'kiosk_heard':
      return c.isSilent ? { ...c, isSilent: false, offlineSinceMs: null } : c;
    case 'kiosk_lifecycle_changed':
      return event.lifecycle === c.lifecycle ? c : { ...c, lifecycle: event.lifecycle };
    case 'kiosk_not_lending': {
      if (c.notLending) return c;
      const { expected, seen, probability } = event;
      return { ...c, notLending: { sinceMs: Date.parse(event.since), detectedAtMs: tsMs, expected, seen, probability } };
    }
    case 'kiosk_lending_resumed':
      return c.notLending ? { ...c, notLending: null } : c;
    default:
      return c;
  }
}

/**
 * A Last Will is dated when the platform received it, an online status by the machine's clock:
 * when the machine's clock runs ahead, its boot's offline can sort before its online. A boot goes
 * online, then offline, once: its offline is moved to its online's instant.
 */
function orderBoots(entries: readonly HealthEntry[]): HealthEntry[] {
  const onlineMsByBoot = new Map<string, number>();
  for (const e of entries) {
    if (
      e.event.type === 'status' &&
      e.event.state === 'online' &&
      e.event.bootId !== undefined &&
      !onlineMsByBoot.has(e.event.bootId)
    ) {
      onlineMsByBoot.set(e.event.bootId, e.tsMs);
    }
  }
  let isChanged = false;
  const adjusted = entries.map((e) => {
    if (e.event.type !== 'status' || e.event.state !== 'offline' || e.event.bootId === undefined) return e;
    const onlineMs = onlineMsByBoot.get(e.event.bootId);
    if (onlineMs === undefined || e.tsMs >= onlineMs) return e;
    isChanged = true;
    return { ...e, tsMs: onlineMs };
  });
  return isChanged ? adjusted.sort(compareEntries) : adjusted;
}

/** Planned maintenance windows recorded for the machine, merged. */
export function maintenanceWindowsOf(entries: readonly HealthEntry[]): Interval[] {
  const windows: Interval[] = [];
  for (const { event } of entries) {
    if (event.type === 'maintenance_window') windows.push({ fromMs: Date.parse(event.from), toMs: Date.parse(event.to) });
  }
  return mergeIntervals(windows);
}

function initialLifecycle(entries: readonly HealthEntry[], fallback: Lifecycle): Lifecycle {
  const first = entries.find((e) => e.event.type === 'kiosk_lifecycle_changed');
  return first?.event.type === 'kiosk_lifecycle_changed' ? first.event.previous : fallback;
}

/**
 * Walks one machine's history (sorted by compareEntries) up to `untilMs`, yielding its condition
 * at every instant something changed: an entry, a maintenance window or a platform outage
 * starting or ending. Pure: the same entries and context give the same steps.
 */
export function* walkMachine(
  entries: readonly HealthEntry[],
  context: MachineContext,
  untilMs: number,
): Generator<ConditionStep> {
  const ordered = orderBoots(entries);
  const windows = maintenanceWindowsOf(ordered);
  const boundaries = [...new Set([...windows, ...context.outages].flatMap((i) => [i.fromMs, i.toMs]))]
    .filter((ms) => ms <= untilMs)
    .sort((a, b) => a - b);
  let condition: MachineCondition = {
    connection: 'never',
    bootId: null,
    isSilent: false,
    offlineSinceMs: null,
    faults: new Map(),
    lifecycle: initialLifecycle(ordered, context.lifecycle),
    isInMaintenance: false,
    isPlatformDown: false,
    notLending: null,
  };
  let e = 0;
  let b = 0;
  for (;;) {
    const nextEntryMs = e < ordered.length && ordered[e]!.tsMs <= untilMs ? ordered[e]!.tsMs : Number.POSITIVE_INFINITY;
    const nextBoundaryMs = b < boundaries.length ? boundaries[b]! : Number.POSITIVE_INFINITY;
    const atMs = Math.min(nextEntryMs, nextBoundaryMs);
    if (atMs === Number.POSITIVE_INFINITY) return;
    const applied: HealthEntry[] = [];
    while (e < ordered.length && ordered[e]!.tsMs === atMs) {
      const entry = ordered[e++]!;
      applied.push(entry);
      condition = applyEntry(condition, entry);
    }
    while (b < boundaries.length && boundaries[b] === atMs) b++;
    const isInMaintenance = isWithin(windows, atMs);
    const isPlatformDown = isWithin(context.outages, atMs);
    if (isInMaintenance !== condition.isInMaintenance || isPlatformDown !== condition.isPlatformDown) {
      condition = { ...condition, isInMaintenance, isPlatformDown };
    }
    yield { atMs, applied, condition };
  }
}
