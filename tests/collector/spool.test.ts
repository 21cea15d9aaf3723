import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Ingest } from '../../collector/ingest.js';
import type { EventStore } from '../../collector/store/event-store.js';
import { openSpool, type Spool } from '../../collector/store/spool.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import { createTopics, type EventAck } from '../../protocol/index.js';

const topics = createTopics('kiosks');
const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-20T08:00:00+08:00');
/** Loans of one machine, `seq` in the id and the timestamp, so order can be checked. */
const loan = (kioskId: string, seq: number) =>
  Buffer.from(
    JSON.stringify({
      id: `${kioskId}-${String(seq).padStart(5, '0')}`,
      ts: new Date(T0 + seq * 1000).toISOString(),
      type: 'loan',
    }),
  );

/** A real SQLite store whose appends fail while `isDown` is set: a store outage. */
function withOutage(store: EventStore) {
  const state = { isDown: false, failedAppends: 0, appended: [] as string[] };
  const failing: EventStore = Object.create(store) as EventStore;
  failing.append = async (records) => {
    if (state.isDown) {
      state.failedAppends += 1;
      throw new Error('disk unavailable');
    }
    const result = await store.append(records);
    state.appended.push(...result.inserted);
    return result;
  };
  return { store: failing, state };
}

describe('the collector spool', () => {
  let dir: string;
  let store: EventStore;
  let spool: Spool;
  const acks: { kioskId: string; ack: EventAck }[] = [];
  const ackedIds = () => acks.flatMap((a) => a.ack.stored);
  const storedIds = async () => (await store.readEvents({ order: 'asc', limit: 10_000 })).map((r) => r.id);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-spool-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: 'Asia/Shanghai' });
    spool = openSpool({ file: join(dir, 'spool.sqlite'), maxBytes: 1_000_000 });
    acks.length = 0;
  });
  afterEach(async () => {
    spool.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  // Stopped first (after-hooks run in reverse), before the store and spool close, even when a test fails.
  const running: Ingest[] = [];
  afterEach(() => {
    for (const ingest of running.splice(0)) ingest.stop();
  });

  test('keeps batches in order across reopening, within its quota', () => {
    const record = (id: string) => ({ id, kioskId: 'K1', type: 'loan', ts: '', tsMs: 0, receivedMs: 0, data: {} });
    const small = openSpool({ file: join(dir, 'small.sqlite'), maxBytes: 400 });
    expect(small.put([record('a'), record('b')])).toBe(true);
    expect(small.put([record('c')])).toBe(true);
    expect(small.put([record('d'), record('e'), record('f'), record('g')])).toBe(false);
    expect(small.stats()).toMatchObject({ depthEvents: 3, batches: 2, droppedEvents: 4, droppedBatches: 1 });
    small.close();
    const reopened = openSpool({ file: join(dir, 'small.sqlite'), maxBytes: 400 });
    expect(reopened.stats()).toMatchObject({ depthEvents: 3, batches: 2, droppedEvents: 0 });
    const first = reopened.peek(1)!;
    expect(first.records.map((r) => r.id)).toEqual(['a', 'b']);
    expect(reopened.peek(10)!.records.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    reopened.remove(first.seqs);
    expect(reopened.peek(10)!.records.map((r) => r.id)).toEqual(['c']);
    expect(reopened.stats()).toMatchObject({ depthEvents: 1, batches: 1 });
    reopened.close();
  });

  test('while the store is down machines are acked once their events are spooled; when it is back all are stored once, in order', async () => {
    const outage = withOutage(store);
    const ingest = new Ingest({
      topics,
      store: outage.store,
      logger,
      spool,
      publishAck: (kioskId, ack) => acks.push({ kioskId, ack }),
    });
    running.push(ingest);
    outage.state.isDown = true;
    const sent: string[] = [];
    for (let seq = 0; seq < 300; seq++) {
      for (const k of ['K1', 'K2']) {
        ingest.accept(`kiosks/${k}/events`, loan(k, seq));
        sent.push(`${k}-${String(seq).padStart(5, '0')}`);
      }
      if (seq % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await ingest.drain();
    // Acked from the spool while nothing is in the store.
    expect(ackedIds().sort()).toEqual([...sent].sort());
    expect(await storedIds()).toEqual([]);
    expect(ingest.stats()).toMatchObject({ spooled: 600, spoolDepth: 600, queuedEvents: 0, eventsStored: 0 });
    await expect.poll(() => outage.state.failedAppends).toBeGreaterThanOrEqual(2); // the replay keeps trying

    // A machine resends something already spooled (it missed the ack): stored once all the same.
    ingest.accept('kiosks/K1/events', loan('K1', 7));
    outage.state.isDown = false;
    ingest.accept('kiosks/K1/events', loan('K1', 300));
    sent.push('K1-00300');
    await expect.poll(() => ingest.stats().spoolDepth, { timeout: 10_000 }).toBe(0);
    await ingest.drain();
    const stored = await storedIds();
    expect(stored).toHaveLength(601);
    expect(new Set(stored)).toEqual(new Set(sent));
    // Per machine, the store received the events in the order they were sent.
    for (const k of ['K1', 'K2']) {
      const ids = outage.state.appended.filter((id) => id.startsWith(k));
      expect(ids).toEqual([...ids].sort());
    }
    expect(ingest.stats()).toMatchObject({ eventsStored: 601, spoolDepth: 0 });
  });

  test('a collector that crashed with a full spool replays it when it starts again', async () => {
    const outage = withOutage(store);
    outage.state.isDown = true;
    const first = new Ingest({
      topics,
      store: outage.store,
      logger,
      spool,
      publishAck: (kioskId, ack) => acks.push({ kioskId, ack }),
    });
    running.push(first);
    for (let seq = 0; seq < 50; seq++) first.accept('kiosks/K1/events', loan('K1', seq));
    await first.drain();
    expect(ackedIds()).toHaveLength(50);
    first.stop(); // the process dies here: nothing but the spool file survives
    spool.close();

    outage.state.isDown = false;
    spool = openSpool({ file: join(dir, 'spool.sqlite'), maxBytes: 1_000_000 });
    expect(spool.stats().depthEvents).toBe(50);
    const stored: string[] = [];
    const second = new Ingest({
      topics,
      store: outage.store,
      logger,
      spool,
      publishAck: (kioskId, ack) => acks.push({ kioskId, ack }),
    });
    running.push(second);
    second.on('stored', (records) => stored.push(...records.map((r) => r.id)));
    await expect.poll(() => second.stats().spoolDepth).toBe(0);
    expect(await storedIds()).toEqual(Array.from({ length: 50 }, (_, i) => `K1-${String(i).padStart(5, '0')}`));
    expect(stored).toHaveLength(50);
  });

  test('a full spool refuses a batch: counted, not acked, kept in memory until the store is back', async () => {
    spool.close();
    spool = openSpool({ file: join(dir, 'spool.sqlite'), maxBytes: 1_000 });
    const outage = withOutage(store);
    outage.state.isDown = true;
    const ingest = new Ingest({
      topics,
      store: outage.store,
      logger,
      spool,
      publishAck: (kioskId, ack) => acks.push({ kioskId, ack }),
    });
    running.push(ingest);
    for (let seq = 0; seq < 20; seq++) {
      ingest.accept('kiosks/K1/events', loan('K1', seq));
      await new Promise((r) => setImmediate(r));
    }
    await expect.poll(() => ingest.stats().spoolDropped).toBeGreaterThan(0);
    const spooled = ingest.stats().spoolDepth;
    expect(spooled).toBeGreaterThan(0);
    expect(spooled).toBeLessThan(20);
    expect(ackedIds()).toHaveLength(spooled);
    outage.state.isDown = false;
    await expect.poll(() => ackedIds().length, { timeout: 15_000 }).toBe(20);
    await expect.poll(() => ingest.stats().spoolDepth, { timeout: 15_000 }).toBe(0);
    expect(await storedIds()).toEqual(Array.from({ length: 20 }, (_, i) => `K1-${String(i).padStart(5, '0')}`));
  }, 30_000);
});
