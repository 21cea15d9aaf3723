import { describe, expect, test } from 'vitest';
import { alertIdFor, foldAlerts } from '../../../collector/domain/alerts.js';
import { fleetReliability, fleetUptime } from '../../../collector/domain/fleet-figures.js';
import type { HealthEntry } from '../../../collector/domain/health-entry.js';
import { findHistoryCut } from '../../../collector/domain/history-cut.js';
import type { MachineContext } from '../../../collector/domain/machine-condition.js';
import { readerTimeline } from '../../../collector/domain/reader-timeline.js';
import { currentServiceState, serviceTimeline } from '../../../collector/domain/service-state.js';
import { ack, at, cleared, context, fault, online, sorted } from './health-fixtures.js';
import { DAY, generateHistory, START } from './health-history-generator.js';

/** Every fold a live view reads, over what happens after `fromMs`, as plain data. */
function foldsAfter(entries: readonly HealthEntry[], ctx: MachineContext, fromMs: number, nowMs: number) {
  const view = { entriesOf: () => entries, contextOf: () => ctx };
  const window = { spec: '30d', fromMs, toMs: nowMs, countedToMs: nowMs };
  // Intervals under way at `fromMs` are seen from `fromMs`, as FleetHealth.timeline shows them.
  const clip = <T extends { fromMs: number; toMs: number }>(intervals: T[]) =>
    intervals.filter((i) => i.toMs > fromMs).map((i) => ({ ...i, fromMs: Math.max(i.fromMs, fromMs) }));
  return {
    state: currentServiceState(entries, ctx, nowMs),
    timeline: clip(serviceTimeline(entries, ctx, nowMs)),
    readers: clip(readerTimeline(entries, ctx, nowMs)),
    alerts: foldAlerts('K1', entries, ctx, nowMs).filter((a) => a.openedAtMs > fromMs),
    uptime: fleetUptime(view, ['K1'], window),
    reliability: fleetReliability(view, ['K1'], window),
  };
}

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

describe('cutting a machine history before a window', () => {
  test.each(SEEDS)('seed %i: a cut history folds to the same state, timelines, alerts and figures as the whole one, then and as events keep coming', (seed) => {
    const whole = generateHistory(seed, 90);
    const ctx = context();
    // Cut on day 60 with a 30-day window, then the next 30 days arrive.
    const cutNowMs = START + 60 * DAY;
    const known = whole.filter((e) => e.tsMs <= cutNowMs);
    const cut = findHistoryCut('K1', known, ctx, cutNowMs - 30 * DAY);
    expect(cut).not.toBeNull();
    const later = whole.filter((e) => e.tsMs > cutNowMs);
    const kept = sorted([...cut!.entries, ...later]);
    const nowMs = START + 90 * DAY;
    const fromMs = cut!.atMs + 1;
    expect(foldsAfter(kept, ctx, fromMs, nowMs)).toEqual(foldsAfter(whole, ctx, fromMs, nowMs));
    // And at the cut instant itself, on the day it is made.
    expect(currentServiceState(cut!.entries, ctx, cutNowMs)).toEqual(currentServiceState(known, ctx, cutNowMs));
  });

  test('memory holds the window and a handful of carried entries, however long the history', () => {
    const ctx = context();
    for (const days of [120, 360]) {
      const whole = generateHistory(7, days);
      const nowMs = START + days * DAY;
      const cut = findHistoryCut('K1', whole, ctx, nowMs - 30 * DAY)!;
      const inWindow = whole.filter((e) => e.tsMs > nowMs - 30 * DAY).length;
      expect(cut.atMs).toBeGreaterThan(nowMs - 40 * DAY);
      const carried = cut.entries.filter((e) => e.tsMs <= cut.atMs);
      // The boot's online status, and acknowledgements whose fault never opened an alert (it came
      // and went while the machine was paused): what nothing after the cut can be folded without.
      const everMember = new Set(foldAlerts('K1', whole, ctx, nowMs).flatMap((a) => [a.id, ...a.problems.map((p) => alertIdFor('K1', p.key))]));
      const neverAnswered = whole.filter((e) => e.event.type === 'alert_acknowledged' && !everMember.has(e.event.alertId)).length;
      expect(carried.filter((e) => e.event.type === 'status')).toHaveLength(1);
      expect(carried.length).toBeLessThanOrEqual(1 + neverAnswered);
      const betweenCutAndWindow = whole.filter((e) => e.tsMs > cut.atMs && e.tsMs <= nowMs - 30 * DAY).length;
      expect(cut.entries.length).toBe(carried.length + betweenCutAndWindow + inWindow);
      expect(cut.dropped).toBeGreaterThan(whole.length - inWindow - 200);
    }
  });

  test('a machine in service since before the window keeps its "in service since"', () => {
    const ctx = context();
    const entries = sorted([
      at('2026-01-01T08:00:00.000Z', online('b1')),
      at('2026-01-01T09:00:00.000Z', fault('F1', 'door', 'critical')),
      at('2026-01-01T10:00:00.000Z', cleared('F1')),
      at('2026-01-01T11:00:00.000Z', { type: 'kiosk_heard' }),
    ]);
    const nowMs = Date.parse('2026-03-01T00:00:00.000Z');
    const cut = findHistoryCut('K1', entries, ctx, nowMs - 30 * DAY)!;
    expect(cut.entries).toHaveLength(1);
    expect(currentServiceState(cut.entries, ctx, nowMs)).toEqual({ state: 'in_service', sinceMs: Date.parse('2026-01-01T10:00:00.000Z') });
    expect(currentServiceState(entries, ctx, nowMs)).toEqual(currentServiceState(cut.entries, ctx, nowMs));
  });

  test('a machine with a fault open since before the window is not cut past the fault', () => {
    const ctx = context();
    const entries = sorted([
      at('2026-01-01T08:00:00.000Z', online('b1')),
      at('2026-01-01T09:00:00.000Z', fault('F1', 'receipt_printer', 'minor')),
      at('2026-01-01T10:00:00.000Z', cleared('F1')),
      at('2026-01-02T09:00:00.000Z', fault('F2', 'door', 'critical')),
      at('2026-03-01T09:00:00.000Z', cleared('F2')),
    ]);
    const cut = findHistoryCut('K1', entries, ctx, Date.parse('2026-02-01T00:00:00.000Z'));
    expect(cut?.atMs).toBe(Date.parse('2026-01-01T10:00:00.000Z'));
    expect(cut?.entries.map((e) => e.event.type)).toEqual(['status', 'fault', 'fault_cleared']);
    expect(currentServiceState(cut!.entries, ctx, Date.parse('2026-03-02T00:00:00.000Z'))).toEqual(
      currentServiceState(entries, ctx, Date.parse('2026-03-02T00:00:00.000Z')),
    );
  });

  test('an acknowledgement recorded before its fault arrived is carried across the cut', () => {
    const ctx = context();
    const alertId = alertIdFor('K1', 'f:F9');
    const entries = sorted([
      at('2026-01-01T08:00:00.000Z', online('b1')),
      at('2026-01-01T09:00:00.000Z', ack(alertId)),
      at('2026-03-01T09:00:00.000Z', fault('F9', 'receipt_printer', 'minor')),
    ]);
    const cut = findHistoryCut('K1', entries, ctx, Date.parse('2026-02-01T00:00:00.000Z'))!;
    const nowMs = Date.parse('2026-03-02T00:00:00.000Z');
    expect(foldAlerts('K1', cut.entries, ctx, nowMs)[0]?.acknowledged).toEqual({ by: 'crew', atMs: Date.parse('2026-01-01T09:00:00.000Z') });
  });
});
