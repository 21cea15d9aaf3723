import type { HealthEntry, HealthEvent } from '../../../collector/domain/health-entry.js';
import { compareEntries } from '../../../collector/domain/health-entry.js';
import type { Interval } from '../../../collector/domain/interval.js';
import type { MachineContext } from '../../../collector/domain/machine-condition.js';
import type { Component, Severity } from '../../../protocol/events.js';
import type { Lifecycle } from '../../../registry/kiosk.js';

/** Compact builders for fleet-health histories in table-driven tests. */
export const ms = (iso: string): number => Date.parse(iso);

/** Event bodies without id and ts; `at` stamps them. */
export type Body = { type: HealthEvent['type'] } & Record<string, unknown>;

export const online = (bootId: string): Body => ({ type: 'status', state: 'online', bootId, sentTs: '' });
export const offline = (bootId: string): Body => ({ type: 'status', state: 'offline', bootId, sentTs: '' });
export const fault = (faultId: string, component: Component, severity: Severity = 'critical', blocksLending?: boolean): Body => ({
  type: 'fault',
  faultId,
  component,
  code: `${component.toUpperCase()}_FAULT`,
  severity,
  ...(blocksLending === undefined ? {} : { blocksLending }),
});
export const cleared = (faultId: string): Body => ({ type: 'fault_cleared', faultId });
export const silent = (): Body => ({ type: 'kiosk_silent', lastHeardAt: '2026-01-01T00:00:00Z', timeoutMs: 300_000 });
export const heard = (): Body => ({ type: 'kiosk_heard' });
export const lifecycle = (to: Lifecycle, previous: Lifecycle = 'active'): Body => ({
  type: 'kiosk_lifecycle_changed',
  lifecycle: to,
  previous,
  by: 'operator',
  reason: 'test',
});
export const maintenance = (from: string, to: string): Body => ({
  type: 'maintenance_window',
  windowId: `w-${from}`,
  from,
  to,
  by: 'operator',
  reason: 'test',
});
export const ack = (alertId: string, by = 'crew'): Body => ({ type: 'alert_acknowledged', alertId, by });
export const resolve = (alertId: string, by = 'crew'): Body => ({ type: 'alert_resolved', alertId, by });

let seq = 0;

/** One history entry at `iso`; `receivedIso` when it arrived later than it happened. */
export function at(iso: string, body: Body, kioskId = 'K1', receivedIso?: string): HealthEntry {
  const tsMs = ms(iso);
  const id = `e${String(++seq).padStart(6, '0')}`;
  return { id, kioskId, tsMs, receivedMs: receivedIso ? ms(receivedIso) : tsMs, event: { id, ts: iso, ...body } as HealthEvent };
}

export const sorted = (entries: HealthEntry[]): HealthEntry[] => [...entries].sort(compareEntries);

export const context = (outages: Interval[] = [], lifecycleValue: Lifecycle = 'active'): MachineContext => ({
  outages,
  lifecycle: lifecycleValue,
});
