import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { closeOf, collectMessages, KIOSK_A, KIOSK_B, startHarness, topics, type Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.close();
});

/** A service watching every topic under the root, with what it received. */
async function watchEverything(): Promise<{ service: MqttClient; messages: ReturnType<typeof collectMessages> }> {
  const service = await harness.connectService();
  await service.subscribeAsync(`${topics.root}/#`, { qos: 1 });
  return { service, messages: collectMessages(service) };
}

/**
 * Kiosk B publishes a marker on its own events: once the watcher has it, anything published
 * before it would have been delivered before it too.
 */
async function expectOnlyMarkerAfter(messages: ReturnType<typeof collectMessages>): Promise<void> {
  const kioskB = await harness.connectKiosk(KIOSK_B);
  await kioskB.publishAsync(topics.topic(KIOSK_B, 'events'), 'marker', { qos: 1 });
  await expect.poll(() => messages.map((message) => message.payload)).toContain('marker');
  expect(messages.map((message) => message.payload)).toEqual(['marker']);
}

describe('what a kiosk may publish', () => {
  test.each([
    ["another kiosk's events", topics.topic(KIOSK_B, 'events'), false, 'publish_not_allowed'],
    ['an unknown channel of its own', `${topics.root}/${KIOSK_A}/firmware`, false, 'publish_not_allowed'],
    ['its own commands', topics.topic(KIOSK_A, 'commands'), false, 'publish_not_allowed'],
    ['its own events, retained', topics.topic(KIOSK_A, 'events'), true, 'retain_not_allowed'],
    ['its own telemetry, retained', topics.topic(KIOSK_A, 'telemetry'), true, 'retain_not_allowed'],
    ['a $SYS topic', '$SYS/fake/new/clients', false, 'publish_not_allowed'],
  ] as const)(
    'publishing on %s closes its connection (aedes 1.2) and reaches no subscriber',
    async (_name, topic, retain, reason) => {
      const { messages } = await watchEverything();
      const kiosk = await harness.connectKiosk(KIOSK_A);
      const closed = closeOf(kiosk);
      kiosk.publish(topic, 'forbidden', { qos: 1, retain });
      await closed;

      await expectOnlyMarkerAfter(messages);
      expect(harness.rejections).toEqual([
        expect.objectContaining({ reason, clientId: KIOSK_A, topic, detail: expect.any(String) }),
      ]);
    },
  );

  test('its own status (retained), events and telemetry reach a service', async () => {
    const { messages } = await watchEverything();
    const kiosk = await harness.connectKiosk(KIOSK_A);
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'status'), 'online', { qos: 1, retain: true });
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), 'loan', { qos: 1 });
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'telemetry'), 'temp', { qos: 0 });
    await expect.poll(() => messages.map((message) => message.payload)).toEqual(['online', 'loan', 'temp']);
    expect(harness.rejections).toEqual([]);
  });

  test('its retained status is handed to a service that subscribes later', async () => {
    const kiosk = await harness.connectKiosk(KIOSK_A);
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'status'), 'online', { qos: 1, retain: true });
    const late = await harness.connectService();
    const messages = collectMessages(late);
    await late.subscribeAsync(topics.everyKiosk('status'), { qos: 1 });
    await expect.poll(() => messages).toEqual([{ topic: topics.topic(KIOSK_A, 'status'), payload: 'online', isRetained: true }]);
  });
});

describe('what a kiosk may subscribe to', () => {
  test.each([
    ['every kiosk', `${topics.root}/#`],
    ["another kiosk's acks", topics.topic(KIOSK_B, 'acks')],
    ['every commands topic', topics.everyKiosk('commands')],
    ['its own topics by wildcard', `${topics.root}/${KIOSK_A}/#`],
    ['$SYS', '$SYS/#'],
  ])('%s is refused with SUBACK 0x80 and the kiosk stays connected', async (_name, filter) => {
    const kiosk = await harness.connectKiosk(KIOSK_A);
    await expect(kiosk.subscribeAsync(filter, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [0x80] } });
    expect(kiosk.connected).toBe(true);
    expect(harness.rejections).toEqual([
      expect.objectContaining({ reason: 'subscribe_not_allowed', clientId: KIOSK_A, topic: filter }),
    ]);
  });

  test('in one SUBSCRIBE, its own acks are granted and a foreign filter is refused', async () => {
    const kiosk = await harness.connectKiosk(KIOSK_A);
    const subscribing = kiosk.subscribeAsync([topics.topic(KIOSK_A, 'acks'), topics.topic(KIOSK_B, 'acks')], {
      qos: 1,
    });
    await expect(subscribing).rejects.toMatchObject({ packet: { granted: [1, 0x80] } });
    expect(kiosk.connected).toBe(true);
  });

  test('it receives what a service publishes on its acks and commands topics', async () => {
    const kiosk = await harness.connectKiosk(KIOSK_A);
    const messages = collectMessages(kiosk);
    await kiosk.subscribeAsync([topics.topic(KIOSK_A, 'acks'), topics.topic(KIOSK_A, 'commands')], { qos: 1 });
    const service = await harness.connectService();
    await service.publishAsync(topics.topic(KIOSK_B, 'acks'), 'for b', { qos: 1 });
    await service.publishAsync(topics.topic(KIOSK_A, 'acks'), '["e1"]', { qos: 1 });
    await service.publishAsync(topics.topic(KIOSK_A, 'commands'), 'pause', { qos: 1 });
    await expect.poll(() => messages.map((message) => message.payload)).toEqual(['["e1"]', 'pause']);
  });
});

describe('what a service may do', () => {
  test("it subscribes to every kiosk's events and receives a kiosk's event", async () => {
    const service = await harness.connectService();
    const messages = collectMessages(service);
    await service.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });
    const kiosk = await harness.connectKiosk(KIOSK_A);
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), '{"id":"e1","type":"loan"}', { qos: 1 });
    await expect
      .poll(() => messages)
      .toEqual([{ topic: topics.topic(KIOSK_A, 'events'), payload: '{"id":"e1","type":"loan"}', isRetained: false }]);
  });

  test('it may subscribe to $SYS but not to everything', async () => {
    const service = await harness.connectService();
    await expect(service.subscribeAsync('$SYS/#', { qos: 0 })).resolves.toEqual([expect.objectContaining({ qos: 0 })]);
    await expect(service.subscribeAsync('#', { qos: 0 })).rejects.toMatchObject({ packet: { granted: [0x80] } });
  });

  test('publishing outside the topic root closes its connection', async () => {
    const service = await harness.connectService();
    const closed = closeOf(service);
    service.publish('elsewhere/x', 'nope', { qos: 0 });
    await closed;
    expect(harness.rejectionsFor('publish_not_allowed')).toEqual([expect.objectContaining({ topic: 'elsewhere/x' })]);
  });
});
