import { once } from 'node:events';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { collectMessages, COLLECTOR, encodeConnect, KIOSK_A, KIOSK_B, startHarness, topics, type Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.close();
});

/** Kiosk B connected and listening on its acks; counts every time it loses its connection. */
async function connectWatchedKioskB(): Promise<{ client: MqttClient; dropCount: () => number }> {
  const client = await harness.connectKiosk(KIOSK_B);
  await client.subscribeAsync(topics.topic(KIOSK_B, 'acks'), { qos: 1 });
  let drops = 0;
  client.on('close', () => (drops += 1));
  return { client, dropCount: () => drops };
}

describe('CONNECT authentication', () => {
  test('a kiosk with its own token connects and is reported connected', async () => {
    await harness.connectKiosk(KIOSK_A);
    await expect.poll(() => harness.broker.isKioskConnected(KIOSK_A)).toBe(true);
    expect(harness.broker.stats()).toMatchObject({ connectedClients: 1, connectedKiosks: 1 });
    expect(harness.rejections).toEqual([]);
  });

  test('a kiosk that disconnects is no longer reported connected', async () => {
    const kiosk = await harness.connectKiosk(KIOSK_A);
    await expect.poll(() => harness.broker.isKioskConnected(KIOSK_A)).toBe(true);
    await kiosk.endAsync();
    await expect.poll(() => harness.broker.isKioskConnected(KIOSK_A)).toBe(false);
    expect(harness.broker.stats().connectedKiosks).toBe(0);
  });

  test('a kiosk with a wrong token is refused with bad user name or password (4)', async () => {
    await expect(harness.connectKiosk(KIOSK_A, { password: harness.tokens[KIOSK_B] })).rejects.toMatchObject({
      code: 4,
    });
    expect(harness.rejections).toEqual([expect.objectContaining({ reason: 'bad_credentials', clientId: KIOSK_A })]);
    expect(harness.broker.isKioskConnected(KIOSK_A)).toBe(false);
  });

  test('a kiosk whose client id is not its kiosk id is refused with identifier rejected (2)', async () => {
    await expect(harness.connectKiosk(KIOSK_A, { clientId: 'something-else' })).rejects.toMatchObject({ code: 2 });
    expect(harness.rejectionsFor('client_id_mismatch')).toEqual([
      expect.objectContaining({ clientId: 'something-else', detail: expect.stringContaining(KIOSK_A) }),
    ]);
  });

  test('kiosk A posing as kiosk B is refused, and B stays connected and reachable throughout', async () => {
    const kioskB = await connectWatchedKioskB();
    const messages = collectMessages(kioskB.client);
    const tokenA = harness.tokens[KIOSK_A];

    // B's user name and client id with A's token: wrong credentials.
    await expect(harness.connect({ username: KIOSK_B, clientId: KIOSK_B, password: tokenA })).rejects.toMatchObject({
      code: 4,
    });
    // A's credentials with B's client id: a refused takeover of B's session ([MQTT-3.1.4-2]).
    await expect(harness.connect({ username: KIOSK_A, clientId: KIOSK_B, password: tokenA })).rejects.toMatchObject({
      code: 2,
    });

    expect(harness.rejections.map((rejection) => rejection.reason)).toEqual(['bad_credentials', 'client_id_mismatch']);
    expect(kioskB.dropCount()).toBe(0);
    expect(kioskB.client.connected).toBe(true);
    expect(harness.broker.isKioskConnected(KIOSK_B)).toBe(true);
    const service = await harness.connectService();
    await service.publishAsync(topics.topic(KIOSK_B, 'acks'), 'still here', { qos: 1 });
    await expect.poll(() => messages.map((message) => message.payload)).toEqual(['still here']);
  });

  test.each([
    ['an unknown service name', { username: 'billing', password: 'x' }],
    ['a user name that is not a kiosk id', { username: 'kiosks/#', password: 'x' }],
    ['a kiosk id with no registered token', { username: 'kiosk-z', clientId: 'kiosk-z', password: 'x' }],
    ['no credentials at all', {}],
  ])('%s is refused with bad user name or password (4)', async (_name, credentials) => {
    await expect(harness.connect({ clientId: 'c1', ...credentials })).rejects.toMatchObject({ code: 4 });
    expect(harness.rejectionsFor('bad_credentials')).toHaveLength(1);
  });

  test('a service with a wrong token is refused (4) and with its own token connects', async () => {
    await expect(harness.connectService(COLLECTOR, { password: harness.tokens[KIOSK_A] })).rejects.toMatchObject({
      code: 4,
    });
    const service = await harness.connectService(COLLECTOR);
    expect(service.connected).toBe(true);
  });

  test('an empty client id with a persistent session is refused with identifier rejected (2) [MQTT-3.1.3-8]', async () => {
    const socket = await harness.rawSocket();
    const connack = once(socket, 'data');
    socket.write(encodeConnect({ clientId: '', isClean: false, username: COLLECTOR, password: harness.tokens[COLLECTOR] ?? '' }));
    const [bytes] = (await connack) as [Buffer];
    expect([...bytes]).toEqual([0x20, 0x02, 0x00, 0x02]);
    expect(harness.rejectionsFor('empty_client_id')).toHaveLength(1);
  });
});

describe('Last Will', () => {
  test("a kiosk whose will targets another kiosk's status is refused as not authorized (5)", async () => {
    const will = {
      topic: topics.topic(KIOSK_B, 'status'),
      payload: Buffer.from('{"state":"offline"}'),
      qos: 1 as const,
      retain: true,
    };
    await expect(harness.connectKiosk(KIOSK_A, { will })).rejects.toMatchObject({ code: 5 });
    expect(harness.rejectionsFor('will_not_allowed')).toEqual([expect.objectContaining({ clientId: KIOSK_A })]);
  });

  test('a kiosk whose will is retained on its events is refused (5)', async () => {
    const will = { topic: topics.topic(KIOSK_A, 'events'), payload: Buffer.from('[]'), qos: 1 as const, retain: true };
    await expect(harness.connectKiosk(KIOSK_A, { will })).rejects.toMatchObject({ code: 5 });
  });

  test('a kiosk whose will is its own status is offline for subscribers the moment its connection drops', async () => {
    const service = await harness.connectService();
    await service.subscribeAsync(topics.everyKiosk('status'), { qos: 1 });
    const messages = collectMessages(service);
    const will = {
      topic: topics.topic(KIOSK_A, 'status'),
      payload: Buffer.from('{"state":"offline"}'),
      qos: 1 as const,
      retain: true,
    };
    const kiosk = await harness.connectKiosk(KIOSK_A, { will });
    kiosk.stream.destroy(); // no DISCONNECT: the broker must publish the will ([MQTT-3.1.2-8])
    await expect
      .poll(() => messages)
      .toEqual([{ topic: topics.topic(KIOSK_A, 'status'), payload: '{"state":"offline"}', isRetained: false }]);
    await expect.poll(() => harness.broker.isKioskConnected(KIOSK_A)).toBe(false);
  });
});
