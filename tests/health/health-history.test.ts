import { describe, expect, test } from 'vitest';
import { HealthHistory } from '../../collector/health/health-history.js';
import { statusEventId } from '../../collector/domain/fleet-event.js';
import type { EventRecord } from '../../collector/store/event-store.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');

function status(
  kioskId: string,
  state: 'online' | 'offline',
  atMs: number,
  bootId: string,
  id = `${kioskId}-${state}-${atMs}`,
): EventRecord {
  const ts = new Date(atMs).toISOString();
  return {
    id,
    kioskId,
    type: 'status',
    ts,
    tsMs: atMs,
    receivedMs: atMs + 5,
    data: { id, type: 'status', ts, sentTs: ts, state, bootId, firmware: '2.4.1' },
  };
}

const fault = (kioskId: string, atMs: number, faultId: string): EventRecord => {
  const ts = new Date(atMs).toISOString();
  const id = `${kioskId}-fault-${faultId}`;
  return {
    id,
    kioskId,
    type: 'fault',
    ts,
    tsMs: atMs,
    receivedMs: atMs,
    data: { id, type: 'fault', ts, faultId, component: 'printer', code: 'PAPER_OUT', severity: 'minor' },
  };
};

describe('the fleet-health history in memory', () => {
  test('a record given twice (the start-up read and the live feed, or two nodes) is kept once; two at one instant both', () => {
    const history = new HealthHistory();
    const online = status('K1', 'online', T0, 'b1');
    const sameInstant = fault('K1', T0, 'F1');
    expect(history.add([online, sameInstant]).kioskIds).toEqual(new Set(['K1']));
    // Again, as a copy (a record read back from the store is another object).
    const again = history.add([structuredClone(online), structuredClone(sameInstant)]);
    expect(again.kioskIds.size).toBe(0);
    expect(history.entriesOf('K1').map((e) => e.id)).toEqual([online.id, sameInstant.id]);
    expect(history.size()).toBe(2);
  });

  test('entries come back in history order, a late one in its place, with what the folds read', () => {
    const history = new HealthHistory();
    const first = status('K1', 'online', T0, 'b1');
    const last = status('K1', 'online', T0 + 120_000, 'b1', 'K1-online-again');
    const late = status('K1', 'offline', T0 + 60_000, 'b1');
    history.add([first, last]);
    history.add([late]);
    const entries = history.entriesOf('K1');
    expect(entries.map((e) => e.id)).toEqual([first.id, late.id, last.id]);
    expect(entries[1]).toMatchObject({
      kioskId: 'K1',
      tsMs: T0 + 60_000,
      receivedMs: T0 + 60_005,
      event: { type: 'status', state: 'offline', bootId: 'b1' },
    });
    // Platform markers (no machine) are kept apart from machines' histories.
    expect(history.kioskIds()).toEqual(['K1']);
    expect(history.platformMarkers()).toEqual([]);
  });

  test('a status’s id made from its sending instant comes back the same, and a repeat of it is found', () => {
    const history = new HealthHistory();
    const sentMs = T0 - 40;
    const id = statusEventId('K-7', { state: 'online', bootId: 'b9' }, sentMs);
    const made = {
      ...status('K-7', 'online', T0, 'b9', id),
      data: { ...status('K-7', 'online', T0, 'b9', id).data, sentTs: new Date(sentMs).toISOString() },
    };
    const other = status('K-7', 'offline', T0 + 1, 'b9', 'an-id-of-another-form');
    history.add([made, other]);
    expect(history.add([structuredClone(made), structuredClone(other)]).kioskIds.size).toBe(0);
    expect(history.entriesOf('K-7').map((e) => e.id)).toEqual([id, 'an-id-of-another-form']);
  });

  test('a flapping machine’s statuses of one boot share their event, so thousands cost little', () => {
    const history = new HealthHistory();
    const records: EventRecord[] = [];
    for (let i = 0; i < 1_000; i++) {
      records.push(status('K1', 'offline', T0 + i * 10_000, 'b1'), status('K1', 'online', T0 + i * 10_000 + 2_000, 'b1'));
    }
    history.add(records);
    const entries = history.entriesOf('K1');
    expect(entries).toHaveLength(2_000);
    expect(new Set(entries.map((e) => e.event)).size).toBe(2);
    // Only what the folds read is kept of a status: not its texts of time, firmware or id.
    expect(entries[0]!.event).toEqual({ type: 'status', state: 'offline', bootId: 'b1' });
  });
});
