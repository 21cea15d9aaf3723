import type { z } from 'zod';
import type { commandAckEventSchema, faultClearedEventSchema, faultEventSchema } from '../../protocol/events.js';
import type { StatusEvent } from './fleet-event.js';
import type { PlatformEvent } from './platform-events.js';

export type FaultEvent = z.infer<typeof faultEventSchema>;
export type FaultClearedEvent = z.infer<typeof faultClearedEventSchema>;
export type CommandAckEvent = z.infer<typeof commandAckEventSchema>;

/**
 * A status as fleet health keeps it: what its folds read. Connection changes are the most numerous
 * health events, so memory holds only this much of each (collector/health/health-history.ts).
 */
export type HealthStatusEvent = Pick<StatusEvent, 'type' | 'state' | 'bootId' | 'announced' | 'reason'>;

/** The events fleet health is folded from: a machine's connection, faults and command acks, and platform events. */
export type HealthEvent = HealthStatusEvent | FaultEvent | FaultClearedEvent | CommandAckEvent | PlatformEvent;
export type HealthEventType = HealthEvent['type'];

/** The machine-originated event types fleet health reads from the history (the rest are platform events). */
export const MACHINE_HEALTH_EVENT_TYPES = ['status', 'fault', 'fault_cleared', 'command_ack'] as const;

/** One event of the history as fleet health sees it. `kioskId` is `''` for platform markers. */
export interface HealthEntry {
  id: string;
  kioskId: string;
  tsMs: number;
  receivedMs: number;
  event: HealthEvent;
}

/**
 * Within one millisecond, openings come before closings, so that a fault raised and cleared at
 * the same instant, or a boot that goes online and offline at once, ends closed.
 */
function rankOf(event: HealthEvent): number {
  switch (event.type) {
    case 'status':
      return event.state === 'online' ? 0 : 4;
    case 'fault':
      return 1;
    case 'fault_cleared':
      return 3;
    default:
      return 2;
  }
}

/** Orders entries by event time; ties by kind, then receive time, then id: the same order on every rebuild. */
export function compareEntries(a: HealthEntry, b: HealthEntry): number {
  return (
    a.tsMs - b.tsMs ||
    rankOf(a.event) - rankOf(b.event) ||
    a.receivedMs - b.receivedMs ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** A fault stops readers borrowing when the machine says so; when it does not say, a critical fault does. */
export function isBlockingFault(event: Pick<FaultEvent, 'blocksLending' | 'severity'>): boolean {
  return event.blocksLending ?? event.severity === 'critical';
}
