import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Ingest } from '../../collector/ingest.js';
import type { EventStore } from '../../collector/store/event-store.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import { createTopics, type EventAck } from '../../protocol/index.js';

const topics = createTopics('kiosks');
const logger = pino({ level: 'silent' });
const loan = (id: string) => Buffer.from(JSON.stringify({ id, ts: new Date().toISOString(), type: 'loan' }));

/** A real SQLite store whose appends fail while `isDown` is set: a store outage. */
function withOutage(store: EventStore) {
  const state = { isDown: false };
  const failing: EventStore = Object.create(store) as EventStore;
  failing.append = async (records) => {
    if (state.isDown) throw new Error('disk unavailable');
    return store.append(records);
  };
  return { store: failing, state };
}

describe('the ingest pipeline', () => {
  let dir: string;
  let store: EventStore;
  const acks: { kioskId: string; ack: EventAck }[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-ingest-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: 'Asia/Shanghai' });
    acks.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  // Stopped first (after-hooks run in reverse), before the store and spool close, even when a test fails.
  const running: Ingest[] = [];
  afterEach(() => {
    for (const ingest of running.splice(0)) ingest.stop();
  });

  const ackedIds = () => acks.flatMap((a) => a.ack.stored);

  test('without a spool, while the store is down nothing is acked; once it is back every event is stored once and acked', async () => {
    const outage = withOutage(store);
    const ingest = new Ingest({ topics, store: outage.store, logger, publishAck: (kioskId, ack) => acks.push({ kioskId, ack }) });
    running.push(ingest);
    outage.state.isDown = true;
    ingest.accept('kiosks/K1/events', loan('a'));
    ingest.accept('kiosks/K1/events', loan('b'));
    await expect.poll(() => ingest.stats().storeErrors).toBeGreaterThanOrEqual(2);
    expect(acks).toEqual([]);
    expect(ingest.stats()).toMatchObject({ queuedEvents: 2, lastStoreError: 'disk unavailable' });

    outage.state.isDown = false;
    ingest.accept('kiosks/K1/events', loan('c'));
    await expect.poll(() => ackedIds().sort()).toEqual(['a', 'b', 'c']);
    expect((await store.readEvents({})).map((r) => r.id)).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    expect(await store.readEvents({})).toHaveLength(3);
    expect(ingest.stats()).toMatchObject({ queuedEvents: 0, eventsStored: 3 });
  });

  test('a dead letter written before a failed append is not written again on the retry', async () => {
    const outage = withOutage(store);
    const ingest = new Ingest({ topics, store: outage.store, logger, publishAck: (kioskId, ack) => acks.push({ kioskId, ack }) });
    running.push(ingest);
    outage.state.isDown = true;
    ingest.accept('kiosks/K1/events', Buffer.from('not json'));
    ingest.accept('kiosks/K1/events', loan('a'));
    await expect.poll(() => ingest.stats().storeErrors).toBeGreaterThanOrEqual(2);
    outage.state.isDown = false;
    await expect.poll(() => ackedIds()).toEqual(['a']);
    expect(await store.countDeadLetters()).toBe(1);
  });

  test('beyond the memory quota events are shed, not acked, so machines keep and resend them', async () => {
    const outage = withOutage(store);
    const ingest = new Ingest({
      topics,
      store: outage.store,
      logger,
      maxQueuedEvents: 2,
      publishAck: (kioskId, ack) => acks.push({ kioskId, ack }),
    });
    running.push(ingest);
    outage.state.isDown = true;
    for (const id of ['a', 'b', 'c', 'd']) ingest.accept('kiosks/K1/events', loan(id));
    expect(ingest.stats()).toMatchObject({ shed: 2, queuedEvents: 2 });
    outage.state.isDown = false;
    await expect.poll(() => ackedIds().sort()).toEqual(['a', 'b']);
    ingest.accept('kiosks/K1/events', loan('c')); // the machine resends after its ack timeout
    await expect.poll(() => ackedIds().sort()).toEqual(['a', 'b', 'c']);
  });

  test('acks go to the machine that sent the events, stored and rejected together', async () => {
    const ingest = new Ingest({ topics, store, logger, publishAck: (kioskId, ack) => acks.push({ kioskId, ack }) });
    running.push(ingest);
    const bad = { id: 'bad', ts: new Date().toISOString(), type: 'loan', readerName: 'x' };
    ingest.accept('kiosks/K1/events', Buffer.from(JSON.stringify([JSON.parse(loan('k1a').toString()), bad])));
    ingest.accept('kiosks/K2/events', loan('k2a'));
    await ingest.drain();
    expect(acks.find((a) => a.kioskId === 'K1')?.ack).toEqual({
      stored: ['k1a'],
      rejected: [{ id: 'bad', reason: expect.stringContaining('schema') as string }],
    });
    expect(acks.find((a) => a.kioskId === 'K2')?.ack).toEqual({ stored: ['k2a'], rejected: [] });
  });
});
