import { once } from 'node:events';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, test } from 'vitest';
import {
  closeOf,
  collectMessages,
  COLLECTOR,
  encodeConnect,
  isClosedWithin,
  KIOSK_A,
  startHarness,
  topics,
  until,
  type Harness,
} from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Publishes QoS 1 and resolves true on PUBACK, false if the connection closes first. */
function publishOrClose(client: MqttClient, topic: string, payload: string): Promise<boolean> {
  return Promise.race([client.publishAsync(topic, payload, { qos: 1 }).then(() => true), closeOf(client).then(() => false)]);
}

describe('client ids', () => {
  test('an empty client id is refused with identifier rejected (2) even with a clean session', async () => {
    harness = await startHarness();
    const socket = await harness.rawSocket();
    const connack = once(socket, 'data');
    socket.write(encodeConnect({ clientId: '', isClean: true, username: KIOSK_A, password: harness.tokens[KIOSK_A]! }));
    const [bytes] = (await connack) as [Buffer];
    expect([...bytes.subarray(0, 4)]).toEqual([0x20, 0x02, 0x00, 0x02]);
    expect(await isClosedWithin(socket, 2_000)).toBe(true);
    expect(harness.rejectionsFor('empty_client_id')).toHaveLength(1);
  });

  test.each([
    ['a space', 'collector one'],
    ['a control character', 'collector\u0001'],
    ['non-ASCII', 'collector-é'],
    ['129 characters', 'c'.repeat(129)],
  ])('a client id with %s is refused with identifier rejected (2)', async (_name, clientId) => {
    harness = await startHarness();
    await expect(harness.connectService(COLLECTOR, { clientId })).rejects.toMatchObject({ code: 2 });
    expect(harness.rejectionsFor('malformed_client_id')).toHaveLength(1);
  });
});

describe('connection cap and rate', () => {
  test('past MAX_CONNECTIONS a new connection is closed at once; a freed slot admits the next', async () => {
    harness = await startHarness({ maxConnections: 2, wsPort: null });
    const first = await harness.rawSocket();
    await harness.rawSocket();
    const third = await harness.rawSocket();
    expect(await isClosedWithin(third, 2_000)).toBe(true);
    expect(harness.rejectionsFor('too_many_connections')).toHaveLength(1);
    expect(harness.broker.stats().openConnections).toBe(2);

    first.destroy();
    await until(() => harness!.broker.stats().openConnections === 1);
    const client = await harness.connectKiosk(KIOSK_A);
    expect(client.connected).toBe(true);
  });

  test('the cap counts every listener: a WebSocket upgrade past it is refused', async () => {
    harness = await startHarness({ maxConnections: 1 });
    await harness.rawSocket();
    await expect(harness.connectKiosk(KIOSK_A, { connectTimeout: 2_000 }, 'ws')).rejects.toThrow();
    expect(harness.rejectionsFor('too_many_connections')).toHaveLength(1);
  });

  test('an address over its connection rate is closed at once; the bucket refills with time', async () => {
    harness = await startHarness({ connectRatePerAddress: 100, connectBurstPerAddress: 2 });
    await harness.rawSocket();
    await harness.rawSocket();
    const third = await harness.rawSocket();
    expect(await isClosedWithin(third, 2_000)).toBe(true);
    const [rejection] = harness.rejectionsFor('connect_rate_exceeded');
    expect(rejection).toMatchObject({ address: '127.0.0.1' });
    // 100 per 10 s: a token every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await isClosedWithin(await harness.rawSocket(), 300)).toBe(false);
  });

  test('a rate of 0 turns the per-address limit off', async () => {
    harness = await startHarness({ connectRatePerAddress: 0, connectBurstPerAddress: 1 });
    const sockets = await Promise.all(Array.from({ length: 5 }, () => harness!.rawSocket()));
    const closed = await Promise.all(sockets.map((socket) => isClosedWithin(socket, 200)));
    expect(closed).toEqual([false, false, false, false, false]);
    expect(harness.rejectionsFor('connect_rate_exceeded')).toHaveLength(0);
  });
});

describe('per-machine publish budget', () => {
  const events = topics.topic(KIOSK_A, 'events');

  test('a machine over its budget is disconnected, counted once, and reconnecting does not refill it', async () => {
    harness = await startHarness({ publishBurstPerKiosk: 5, publishRatePerKiosk: 1 });
    const kiosk = await harness.connectKiosk(KIOSK_A);
    for (let i = 0; i < 5; i++) expect(await publishOrClose(kiosk, events, `{"n":${i}}`)).toBe(true);
    expect(await publishOrClose(kiosk, events, '{"n":5}')).toBe(false);
    expect(harness.rejectionsFor('publish_rate_exceeded')).toMatchObject([{ clientId: KIOSK_A, topic: events }]);

    const again = await harness.connectKiosk(KIOSK_A);
    expect(await publishOrClose(again, events, '{"n":6}')).toBe(false);
    expect(harness.broker.stats().rejectionsByReason.publish_rate_exceeded).toBe(2);
  });

  test('services have no budget', async () => {
    harness = await startHarness({ publishBurstPerKiosk: 1, publishRatePerKiosk: 1 });
    const collector = await harness.connectService();
    for (let i = 0; i < 20; i++) expect(await publishOrClose(collector, topics.topic(KIOSK_A, 'acks'), '{}')).toBe(true);
    expect(harness.rejectionsFor('publish_rate_exceeded')).toHaveLength(0);
  });

  test('a rate of 0 turns the budget off', async () => {
    harness = await startHarness({ publishBurstPerKiosk: 1, publishRatePerKiosk: 0 });
    const kiosk = await harness.connectKiosk(KIOSK_A);
    for (let i = 0; i < 20; i++) expect(await publishOrClose(kiosk, events, '{}')).toBe(true);
  });
});

describe('bounded queue of an offline persistent session', () => {
  const events = topics.topic(KIOSK_A, 'events');
  const persistent = { clientId: 'collector-persistent', clean: false };

  async function subscribeThenLeave(h: Harness): Promise<void> {
    const collector = await h.connectService(COLLECTOR, persistent);
    await collector.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });
    await collector.endAsync();
  }

  test('keeps the oldest messages up to the cap, drops and counts the rest, and frees room as they are acked', async () => {
    harness = await startHarness({ offlineQueueMaxMessages: 4 });
    await subscribeThenLeave(harness);
    const kiosk = await harness.connectKiosk(KIOSK_A);
    for (let i = 0; i < 10; i++) await kiosk.publishAsync(events, `m${i}`, { qos: 1 });
    expect(harness.broker.stats().offlineQueue).toEqual({ dropped: 6, deepest: 4 });

    const back = await harness.connectService(COLLECTOR, persistent);
    const received = collectMessages(back);
    await until(() => received.length === 4);
    expect(received.map((m) => m.payload)).toEqual(['m0', 'm1', 'm2', 'm3']);
    await until(() => harness!.broker.stats().offlineQueue.deepest === 0);
    await back.endAsync();

    for (let i = 10; i < 13; i++) await kiosk.publishAsync(events, `m${i}`, { qos: 1 });
    const third = await harness.connectService(COLLECTOR, persistent);
    const later = collectMessages(third);
    await until(() => later.length === 3);
    expect(later.map((m) => m.payload)).toEqual(['m10', 'm11', 'm12']);
    expect(harness.broker.stats().offlineQueue.dropped).toBe(6);
  });

  test('an online subscriber is never cut short by the cap', async () => {
    harness = await startHarness({ offlineQueueMaxMessages: 2 });
    const collector = await harness.connectService(COLLECTOR, persistent);
    await collector.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });
    const received = collectMessages(collector);
    const kiosk = await harness.connectKiosk(KIOSK_A);
    await Promise.all(Array.from({ length: 50 }, (_, i) => kiosk.publishAsync(events, `m${i}`, { qos: 1 })));
    await until(() => received.length === 50);
    expect(harness.broker.stats().offlineQueue.dropped).toBe(0);
  });
});
