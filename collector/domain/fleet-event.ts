import type { KioskEvent, KioskStatus } from '../../protocol/index.js';

/**
 * A change of a machine's connection, derived from its retained status message (or its Last
 * Will) and stored in the history like any other event, so uptime can be folded from it later.
 * `ts` is when it took effect, `sentTs` what the machine stamped.
 */
export type StatusEvent = { id: string; ts: string; type: 'status'; sentTs: string } & Omit<KioskStatus, 'ts'>;

/**
 * When a status takes effect. A Last Will is composed when the machine connects, so the `ts` it
 * carries is the connection time: an offline status is dated by when the platform received it.
 */
export function statusEffectiveMs(status: KioskStatus, sentMs: number, receivedMs: number): number {
  return status.state === 'offline' ? Math.max(sentMs, receivedMs) : sentMs;
}

/** Everything the collector appends to the event history. */
export type FleetEvent = KioskEvent | StatusEvent;

/**
 * The status message itself carries no id: the id is derived from what it says, so the same
 * retained message delivered again (collector restart, broker redelivery) is stored once.
 */
export function statusEventId(kioskId: string, status: Pick<KioskStatus, 'state' | 'bootId'>, sentMs: number): string {
  return `status-${kioskId}-${status.state}-${sentMs}-${status.bootId ?? 'na'}`;
}
