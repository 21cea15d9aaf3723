import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type CollectorLink, type RunningCollector, startCollector } from '../../collector/collector.js';
import { createCalendar } from '../../time/calendar.js';
import type { EventStore } from '../../collector/store/event-store.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import type { EventAck, KioskCommand } from '../../protocol/index.js';
import { COLLECTOR, type Harness, KIOSK_A, startHarness, topics } from '../broker/harness.js';

const links: [string, (h: Harness) => CollectorLink][] = [
  ['in the embedded broker’s process', (h) => ({ localBroker: h.broker.aedes })],
  ['over MQTT', (h) => ({ mqttUrl: h.tcpUrl, username: COLLECTOR, password: h.tokens[COLLECTOR]!, clientId: 'collector-test' })],
];

let seq = 0;
const loan = () => ({ id: `${KIOSK_A}-tr-${++seq}`, ts: new Date().toISOString(), type: 'loan', itemId: `B${seq}` });

describe.each(links)('the collector %s', (_name, linkOf) => {
  let h: Harness;
  let dir: string;
  let store: EventStore;
  let collector: RunningCollector | null;
  let kiosk: MqttClient;
  const acks: EventAck[] = [];

  const start = async () =>
    (collector = await startCollector({
      ...linkOf(h),
      topics,
      store,
      calendar: createCalendar('UTC'),
      logger: pino({ level: 'silent' }),
    }));

  beforeEach(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'kiosk-transport-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: 'UTC' });
    kiosk = await h.connectKiosk(KIOSK_A);
    acks.length = 0;
    kiosk.on('message', (topic, payload) => {
      if (topic === topics.topic(KIOSK_A, 'acks')) acks.push(JSON.parse(payload.toString()) as EventAck);
    });
    await kiosk.subscribeAsync([topics.topic(KIOSK_A, 'acks'), topics.topic(KIOSK_A, 'commands')], { qos: 1 });
  });
  afterEach(async () => {
    await collector?.stop();
    collector = null;
    await h.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('an event is acked to the machine once it is in the store', async () => {
    await start();
    const event = loan();
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), JSON.stringify(event), { qos: 1 });

    await expect.poll(() => acks.flatMap((a) => a.stored)).toContain(event.id);
    expect((await store.readEvents({ kioskId: KIOSK_A })).map((e) => e.id)).toEqual([event.id]);
    expect(collector!.isConnected()).toBe(true);
  });

  test('a status the machine retained before the collector subscribed is received', async () => {
    const status = { state: 'online', ts: new Date().toISOString(), bootId: 'boot-1' };
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'status'), JSON.stringify(status), { qos: 1, retain: true });
    await start();

    await expect.poll(async () => (await store.readEvents({ kioskId: KIOSK_A, types: ['status'] })).length).toBe(1);
    // Folded into the live state once the append resolved (the store's readers may see the commit first).
    await expect.poll(() => collector!.fleet.get(KIOSK_A)?.connection).toBe('online');
  });

  test('a command reaches the machine on its commands topic', async () => {
    await start();
    const command: KioskCommand = { id: 'cmd-1', type: 'pause', reason: 'repair', by: 'crew', ts: new Date().toISOString() };
    const received = new Promise<[string, Buffer]>((resolve) =>
      kiosk.once('message', (topic, payload) => resolve([topic, payload])),
    );
    collector!.publishCommand(KIOSK_A, command);

    const [topic, payload] = await received;
    expect(topic).toBe(topics.topic(KIOSK_A, 'commands'));
    expect(JSON.parse(payload.toString())).toEqual(command);
  });

  test('once stopped, it reports itself disconnected and stores nothing more', async () => {
    await start();
    const before = loan();
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), JSON.stringify(before), { qos: 1 });
    await expect.poll(() => acks.flatMap((a) => a.stored)).toContain(before.id);
    await collector!.stop();
    const stopped = collector!;
    collector = null;

    await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), JSON.stringify(loan()), { qos: 1 });
    expect(stopped.isConnected()).toBe(false);
    expect((await store.readEvents({ kioskId: KIOSK_A })).map((e) => e.id)).toEqual([before.id]);
  });
});
