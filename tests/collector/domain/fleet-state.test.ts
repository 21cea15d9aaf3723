import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import type { FleetEvent } from '../../../collector/domain/fleet-event.js';
import {
  foldEvent,
  foldTelemetry,
  initialKioskState,
  type KioskLiveState,
  rollDay,
} from '../../../collector/domain/fleet-state.js';

const calendar = createCalendar('Asia/Shanghai');
const ms = (iso: string) => Date.parse(iso);

function fold(
  events: [string, Partial<FleetEvent> & { type: FleetEvent['type'] }][],
  start = initialKioskState('K1', '2026-11-22'),
): KioskLiveState {
  return events.reduce(
    (state, [ts, event], i) => foldEvent(state, { id: `e${i}`, ts, ...event } as FleetEvent, ms(ts), calendar),
    start,
  );
}
const online = (bootId: string) => ({ type: 'status' as const, state: 'online' as const, bootId, sentTs: '' });
const offline = (bootId: string) => ({ type: 'status' as const, state: 'offline' as const, bootId, sentTs: '' });

describe('folding events into a machine’s live state', () => {
  test('a renewal or a refused transaction is heard from the machine but never counted as a loan', () => {
    const state = fold([
      ['2026-11-22T01:00:00Z', { type: 'renewal' }],
      ['2026-11-22T01:05:00Z', { type: 'transaction_refused' } as Partial<FleetEvent> & { type: 'transaction_refused' }],
    ]);
    expect(state.today).toMatchObject({ loans: 0, returns: 0 });
    expect(state.lastSeenMs).toBe(ms('2026-11-22T01:05:00Z'));
  });

  test('when a kiosk’s will is published, it is offline from that moment', () => {
    const state = fold([
      ['2026-11-22T01:00:00Z', online('b1')],
      ['2026-11-22T02:00:00Z', offline('b1')],
    ]);
    expect(state).toMatchObject({ connection: 'offline', connectionSinceMs: ms('2026-11-22T02:00:00Z') });
  });

  test('a stale Last Will from an earlier boot does not mark a reconnected machine offline', () => {
    const state = fold([
      ['2026-11-22T01:00:00Z', online('b1')],
      ['2026-11-22T01:05:00Z', online('b2')],
      ['2026-11-22T01:06:00Z', offline('b1')],
    ]);
    expect(state).toMatchObject({ connection: 'online', bootId: 'b2' });
  });

  test('the end of the current boot counts even when the machine’s clock is behind the platform’s', () => {
    const state = fold([
      ['2026-11-22T01:00:00Z', online('b1')],
      ['2026-11-22T00:59:00Z', offline('b1')],
    ]);
    expect(state.connection).toBe('offline');
  });

  test('an older status delivered late does not overwrite a newer one', () => {
    const state = fold([
      ['2026-11-22T03:00:00Z', online('b3')],
      ['2026-11-22T01:00:00Z', online('b1')],
    ]);
    expect(state).toMatchObject({ bootId: 'b3', connectionSinceMs: ms('2026-11-22T03:00:00Z') });
  });

  test.each([
    ['a loan today', [['2026-11-22T01:00:00Z', { type: 'loan' }]], { day: '2026-11-22', loans: 1, returns: 0 }],
    ['a return today', [['2026-11-22T01:00:00Z', { type: 'return' }]], { day: '2026-11-22', loans: 0, returns: 1 }],
    ['a loan from yesterday (local)', [['2026-11-21T15:59:59Z', { type: 'loan' }]], { day: '2026-11-22', loans: 0, returns: 0 }],
    [
      'a loan just after local midnight',
      [['2026-11-21T16:00:00Z', { type: 'loan' }]],
      { day: '2026-11-22', loans: 1, returns: 0 },
    ],
    [
      'a loan tomorrow starts a new day',
      [
        ['2026-11-22T01:00:00Z', { type: 'loan' }],
        ['2026-11-22T16:30:00Z', { type: 'return' }],
      ],
      { day: '2026-11-23', loans: 0, returns: 1 },
    ],
  ] as const)("%s counts in today's figures as expected", (_name, events, today) => {
    expect(fold(events as never).today).toEqual(today);
  });

  test('a fault opens once per fault id and closes when cleared; blocking defaults to critical', () => {
    const fault = {
      type: 'fault' as const,
      faultId: 'f1',
      component: 'rfid_reader' as const,
      code: 'RFID_TIMEOUT',
      severity: 'critical' as const,
    };
    const opened = fold([
      ['2026-11-22T01:00:00Z', fault],
      ['2026-11-22T01:01:00Z', fault],
    ]);
    expect(opened.openFaults).toEqual([
      expect.objectContaining({ faultId: 'f1', blocksLending: true, sinceMs: ms('2026-11-22T01:00:00Z') }),
    ]);
    const cleared = foldEvent(
      opened,
      { id: 'c', ts: '2026-11-22T02:00:00Z', type: 'fault_cleared', faultId: 'f1' },
      ms('2026-11-22T02:00:00Z'),
      calendar,
    );
    expect(cleared.openFaults).toEqual([]);
  });

  test('an event that changes nothing returns the same state object', () => {
    const state = fold([['2026-11-22T01:00:00Z', online('b1')]]);
    expect(
      foldEvent(
        state,
        { id: 'x', ts: '', type: 'status', state: 'offline', bootId: 'b0', sentTs: '' },
        ms('2026-11-22T02:00:00Z'),
        calendar,
      ),
    ).toBe(state);
  });

  test('older telemetry from a backlog does not replace the latest reading', () => {
    const latest = foldTelemetry(initialKioskState('K1', '2026-11-22'), 2000, { paperPercent: 50 });
    expect(foldTelemetry(latest, 1000, { paperPercent: 90 })).toBe(latest);
    expect(foldTelemetry(latest, 3000, { paperPercent: 40 }).telemetry).toEqual({ tsMs: 3000, readings: { paperPercent: 40 } });
  });

  test("after local midnight the day's counters start again", () => {
    const state = fold([['2026-11-22T01:00:00Z', { type: 'loan' }]]);
    expect(rollDay(state, '2026-11-22')).toBe(state);
    expect(rollDay(state, '2026-11-23').today).toEqual({ day: '2026-11-23', loans: 0, returns: 0 });
  });
});
