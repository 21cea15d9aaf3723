import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Alert } from '../../collector/domain/alerts.js';
import { DEFAULT_ESCALATION_POLICY } from '../../collector/domain/escalation.js';
import { recordDueEscalations } from '../../collector/health/escalation-recorder.js';
import { platformRecord } from '../../collector/health/platform-record.js';
import { Ingest } from '../../collector/ingest.js';
import type { EventRecord, EventStore } from '../../collector/store/event-store.js';
import { openSpool, type Spool } from '../../collector/store/spool.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import { createTopics } from '../../protocol/index.js';

const topics = createTopics('kiosks');
const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-03-02T08:00:00Z');
const loan = (id: string) => Buffer.from(JSON.stringify({ id, ts: new Date(T0).toISOString(), type: 'loan' }));
const marker = (id: string) => platformRecord('K1', { type: 'kiosk_heard' }, { atMs: T0, nowMs: T0, id });

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

describe("the platform's own records take the machines' write path", () => {
  let dir: string;
  let store: EventStore;
  let spool: Spool | null;
  const running: Ingest[] = [];
  /** Ids as the internal bus (and so the live push) received them, in order. */
  const pushed: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-platform-records-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: 'Asia/Shanghai' });
    spool = null;
    pushed.length = 0;
  });
  afterEach(async () => {
    for (const ingest of running.splice(0)) ingest.stop();
    spool?.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function start(options: { withSpool: boolean }) {
    const outage = withOutage(store);
    if (options.withSpool) spool = openSpool({ file: join(dir, 'spool.sqlite'), maxBytes: 1_000_000 });
    const ingest = new Ingest({ topics, store: outage.store, logger, spool, publishAck: () => {} });
    running.push(ingest);
    ingest.on('stored', (records: EventRecord[]) => pushed.push(...records.map((r) => r.id)));
    return { ingest, outage };
  }

  test("they reach the store and the live push in order with the machines' events around them", async () => {
    const { ingest } = start({ withSpool: false });
    ingest.accept('kiosks/K1/events', loan('a'));
    const recorded = ingest.recordPlatformEvents([marker('p1')]);
    ingest.accept('kiosks/K1/events', loan('b'));
    await expect(recorded).resolves.toEqual({ inserted: ['p1'], duplicates: [], conflicts: [], spooled: [] });
    await ingest.drain();
    expect(pushed).toEqual(['a', 'p1', 'b']);
    await expect(ingest.recordPlatformEvents([marker('p1')])).resolves.toMatchObject({ inserted: [], duplicates: ['p1'] });
  });

  test("during a store outage they are spooled, not thrown at the caller, and replayed in order with the machines' events", async () => {
    const { ingest, outage } = start({ withSpool: true });
    outage.state.isDown = true;
    ingest.accept('kiosks/K1/events', loan('a'));
    const recorded = ingest.recordPlatformEvents([marker('p1')]);
    ingest.accept('kiosks/K1/events', loan('b'));
    await expect(recorded).resolves.toEqual({ inserted: ['p1'], duplicates: [], conflicts: [], spooled: ['p1'] });
    await ingest.drain();
    expect(pushed).toEqual([]);
    expect(ingest.stats().spoolDepth).toBe(3);

    outage.state.isDown = false;
    await expect.poll(() => pushed).toEqual(['a', 'p1', 'b']);
    expect((await store.readEvents({})).map((r) => r.id).sort()).toEqual(['a', 'b', 'p1']);
  });

  test('a record repeated while it waits in the spool is a duplicate, as the store would answer', async () => {
    const { ingest, outage } = start({ withSpool: true });
    outage.state.isDown = true;
    await expect(ingest.recordPlatformEvents([marker('p1')])).resolves.toMatchObject({ inserted: ['p1'], spooled: ['p1'] });
    await expect(ingest.recordPlatformEvents([marker('p1'), marker('p2')])).resolves.toEqual({
      inserted: ['p2'],
      duplicates: ['p1'],
      conflicts: [],
      spooled: ['p2'],
    });
    outage.state.isDown = false;
    await expect.poll(() => pushed).toEqual(['p1', 'p2']);
    await expect(ingest.recordPlatformEvents([marker('p1')])).resolves.toMatchObject({ inserted: [], duplicates: ['p1'] });
  });

  test('an escalation recorded during an outage is answered once, however often the check runs before the replay', async () => {
    const { ingest, outage } = start({ withSpool: true });
    const openedAtMs = T0 - 13 * 3_600_000; // past the first step (50 % of 24 h)
    const alert = {
      id: 'alert-1',
      kioskId: 'K1',
      openedAtMs,
      escalations: [],
      acknowledged: null,
      resolved: null,
    } as unknown as Alert;
    const check = () => recordDueEscalations([alert], T0, { ingest, policy: DEFAULT_ESCALATION_POLICY, nowMs: T0 });
    outage.state.isDown = true;
    expect((await check()).map((d) => d.step)).toEqual([1]);
    expect(await check()).toEqual([]);
    outage.state.isDown = false;
    await expect.poll(() => pushed).toEqual(['alert_escalated-alert-1-1']);
    expect(await check()).toEqual([]);
  });

  test('a record that may not wait for the store is refused while it is down, even with a spool, and never stored', async () => {
    const { ingest, outage } = start({ withSpool: true });
    outage.state.isDown = true;
    await expect(ingest.recordPlatformEvents([marker('p1')], { ifStoreDown: 'fail' })).rejects.toThrow('disk unavailable');
    expect(ingest.stats().spoolDepth).toBe(0);
    outage.state.isDown = false;
    await expect(ingest.recordPlatformEvents([marker('p2')], { ifStoreDown: 'fail' })).resolves.toMatchObject({
      inserted: ['p2'],
    });
    expect((await store.readEvents({})).map((r) => r.id)).toEqual(['p2']);
  });

  test("without a spool they are refused while the store is down, and the machines' events wait", async () => {
    const { ingest, outage } = start({ withSpool: false });
    outage.state.isDown = true;
    ingest.accept('kiosks/K1/events', loan('a'));
    await expect(ingest.recordPlatformEvents([marker('p1')])).rejects.toThrow('disk unavailable');
    outage.state.isDown = false;
    await expect.poll(() => pushed).toEqual(['a']);
  });

  test('one queued while the ingest waits to retry the store is refused when the ingest stops, not left waiting', async () => {
    const { ingest, outage } = start({ withSpool: false });
    outage.state.isDown = true;
    ingest.accept('kiosks/K1/events', loan('a'));
    await expect.poll(() => ingest.stats().storeErrors).toBe(1);
    const recorded = ingest.recordPlatformEvents([marker('p1')]);
    ingest.stop();
    await expect(recorded).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
