import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { OfflineStatusHold } from '../../collector/offline-status-hold.js';
import type { EventRecord } from '../../collector/store/event-store.js';
import { eventRecord } from '../support/event-records.js';

const statusOf = (kioskId: string, state: 'online' | 'offline', bootId: string): EventRecord =>
  eventRecord(`status-${kioskId}-${state}-${bootId}`, '2026-11-22T08:00:00Z', {
    kioskId,
    type: 'status',
    extra: { state, bootId },
  });

describe('an offline status held for the next boot', () => {
  let released: string[];
  let takenOver: string[];
  let hold: OfflineStatusHold;
  beforeEach(() => {
    vi.useFakeTimers();
    released = [];
    takenOver = [];
    hold = new OfflineStatusHold({
      holdMs: 1_000,
      release: (r) => released.push(r.id),
      onTakeover: (r, by) => takenOver.push(`${r.id} by ${by}`),
    });
  });
  afterEach(() => {
    hold.releaseAll();
    vi.useRealTimers();
  });

  test('is stored once the hold runs out, and not before', () => {
    expect(hold.offer(statusOf('K1', 'offline', 'b1'))).toBe(true);
    vi.advanceTimersByTime(999);
    expect(released).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(released).toEqual(['status-K1-offline-b1']);
  });

  test('is discarded when another boot of the machine comes online within the hold; the online goes on', () => {
    hold.offer(statusOf('K1', 'offline', 'b1'));
    expect(hold.offer(statusOf('K1', 'online', 'b2'))).toBe(false);
    vi.advanceTimersByTime(5_000);
    expect(released).toEqual([]);
    expect(takenOver).toEqual(['status-K1-offline-b1 by b2']);
  });

  test('is kept when another machine comes online', () => {
    hold.offer(statusOf('K1', 'offline', 'b1'));
    hold.offer(statusOf('K2', 'online', 'b9'));
    vi.advanceTimersByTime(1_000);
    expect(released).toEqual(['status-K1-offline-b1']);
    expect(takenOver).toEqual([]);
  });

  test('is stored at once, before the online, when the same boot comes back (a reconnect, not a takeover)', () => {
    hold.offer(statusOf('K1', 'offline', 'b1'));
    expect(hold.offer(statusOf('K1', 'online', 'b1'))).toBe(false);
    expect(released).toEqual(['status-K1-offline-b1']); // before the caller stores the online
    vi.advanceTimersByTime(5_000);
    expect(released).toEqual(['status-K1-offline-b1']);
    expect(takenOver).toEqual([]);
  });

  test('released by the same boot, it is dated just before the online when the Will arrived after the online was stamped', () => {
    const times: string[] = [];
    const dated = new OfflineStatusHold({ holdMs: 1_000, release: (r) => times.push(`${r.ts} ${String(r.data.ts)}`) });
    const at = (record: EventRecord, iso: string): EventRecord => ({
      ...record,
      ts: iso,
      tsMs: Date.parse(iso),
      data: { ...record.data, ts: iso },
    });
    dated.offer(at(statusOf('K1', 'offline', 'b1'), '2026-11-22T08:00:00.050Z'));
    dated.offer(at(statusOf('K1', 'online', 'b1'), '2026-11-22T08:00:00.040Z'));
    expect(times).toEqual(['2026-11-22T08:00:00.039Z 2026-11-22T08:00:00.039Z']);
    dated.offer(at(statusOf('K1', 'offline', 'b1'), '2026-11-22T08:01:00.000Z'));
    dated.offer(at(statusOf('K1', 'online', 'b1'), '2026-11-22T08:01:05.000Z'));
    expect(times.at(-1)).toBe('2026-11-22T08:01:00.000Z 2026-11-22T08:01:00.000Z');
  });

  test('a stop stores what is held at once', () => {
    hold.offer(statusOf('K1', 'offline', 'b1'));
    hold.offer(statusOf('K2', 'offline', 'b2'));
    hold.releaseAll();
    expect(released).toEqual(['status-K1-offline-b1', 'status-K2-offline-b2']);
  });

  test('with no hold, nothing is held', () => {
    const none = new OfflineStatusHold({ holdMs: 0, release: () => {} });
    expect(none.offer(statusOf('K1', 'offline', 'b1'))).toBe(false);
  });
});
