import type { HealthEntry } from './health-entry.js';
import { isOffline, type MachineCondition, type MachineContext, walkMachine } from './machine-condition.js';

/**
 * A machine's service, from a reader's point of view:
 * - `in_service`: lends and takes back books;
 * - `degraded`: a fault that still lets a reader borrow (receipt paper out, bin nearly full, low stock);
 * - `out_of_service`: a fault that stops lending (RFID or card reader, door, shelf mechanism,
 *   link to the library system, power);
 * - `offline`: its Last Will or offline status, or silent past the timeout;
 * - `paused`, `withdrawn`, `reserve`: set by operators; `maintenance`: inside a planned window;
 * - `unknown`: the platform was not receiving, or the machine was never heard from.
 */
export const SERVICE_STATES = [
  'in_service',
  'degraded',
  'out_of_service',
  'offline',
  'paused',
  'maintenance',
  'withdrawn',
  'reserve',
  'unknown',
] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/** States in which readers can borrow: they count as available. */
export const AVAILABLE_STATES: readonly ServiceState[] = ['in_service', 'degraded'];
/** States in which the machine was expected to serve readers: the denominator of uptime. */
export const EXPECTED_STATES: readonly ServiceState[] = ['in_service', 'degraded', 'out_of_service', 'offline'];

/**
 * The state a condition shows. Operators' decisions come first (a paused machine that goes
 * offline is still paused), then planned maintenance, then the platform's own outage (it knows
 * nothing then, and the machine is not blamed), then the machine's connection, then its faults.
 */
export function serviceStateOf(c: MachineCondition): ServiceState {
  if (c.lifecycle !== 'active') return c.lifecycle;
  if (c.isInMaintenance) return 'maintenance';
  if (c.isPlatformDown || c.connection === 'never') return 'unknown';
  if (isOffline(c)) return 'offline';
  let hasFault = false;
  for (const fault of c.faults.values()) {
    if (fault.isBlocking) return 'out_of_service';
    hasFault = true;
  }
  return hasFault ? 'degraded' : 'in_service';
}

/** `[fromMs, toMs)` in one state. */
export interface ServiceInterval {
  state: ServiceState;
  fromMs: number;
  toMs: number;
}

/**
 * One machine's states from its first recorded instant to `untilMs`, as consecutive intervals
 * (equal neighbours merged). The last interval ends at `untilMs` and may be empty when something
 * happened exactly then.
 */
export function serviceTimeline(entries: readonly HealthEntry[], context: MachineContext, untilMs: number): ServiceInterval[] {
  const intervals: ServiceInterval[] = [];
  for (const { atMs, condition } of walkMachine(entries, context, untilMs)) {
    const state = serviceStateOf(condition);
    const last = intervals.at(-1);
    if (last) last.toMs = atMs;
    if (last?.state === state) continue;
    if (last && last.fromMs === last.toMs) intervals.pop();
    const previous = intervals.at(-1);
    if (previous?.state === state) {
      previous.toMs = atMs;
      continue;
    }
    intervals.push({ state, fromMs: atMs, toMs: atMs });
  }
  const last = intervals.at(-1);
  if (last) last.toMs = Math.max(last.fromMs, untilMs);
  return intervals;
}

/** The state a machine is in now, and since when; `unknown` when nothing was ever recorded. */
export function currentServiceState(
  entries: readonly HealthEntry[],
  context: MachineContext,
  nowMs: number,
): { state: ServiceState; sinceMs: number | null } {
  // Events stamped slightly ahead of the platform's clock are already what the machine says now.
  const untilMs = Math.max(nowMs, entries.at(-1)?.tsMs ?? nowMs);
  const last = serviceTimeline(entries, context, untilMs).at(-1);
  return last
    ? { state: last.state, sinceMs: last.fromMs }
    : { state: context.lifecycle === 'active' ? 'unknown' : context.lifecycle, sinceMs: null };
}
