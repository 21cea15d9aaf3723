import { Writable } from 'node:stream';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { attachLocalTransport } from '../../collector/local-transport.js';
import type { CollectorTransport } from '../../collector/transport.js';
import { generateToken, hashToken, isTokenValid } from '../../registry/tokens.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';
import { closeOf, collectMessages, topics } from './harness.js';

const KIOSKS = ['kiosk-a', 'kiosk-b'] as const;
const tokens: Record<string, string> = Object.fromEntries(
  [...KIOSKS, 'collector', 'dashboard'].map((name) => [name, generateToken()]),
);
const hashes = new Map(Object.entries(tokens).map(([name, token]) => [name, hashToken(token)]));
const verify = (name: string, token: Buffer) => isTokenValid(token, hashes.get(name));

/** A pino logger keeping its JSON lines, to read what a node said. */
function captureLogs(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe.skipIf(skipWithoutRedis)('brokers sharing routing through Redis (CLUSTER_REDIS_URL)', () => {
  const redis = useRedis();
  const brokers: RunningBroker[] = [];
  const clients: MqttClient[] = [];
  const transports: CollectorTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.close()));
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
    await Promise.all(brokers.splice(0).map((broker) => broker.stop()));
  });

  async function startNode(logger = pino({ level: 'silent' })): Promise<RunningBroker> {
    const broker = await startBroker({
      topics,
      port: 0,
      verifyKioskToken: verify,
      verifyServiceToken: verify,
      clusterRedisUrl: redis.url,
      logger,
    });
    brokers.push(broker);
    return broker;
  }

  async function connect(broker: RunningBroker, name: string, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await connectAsync(
      `mqtt://127.0.0.1:${broker.port}`,
      { protocolVersion: 4, reconnectPeriod: 0, clientId: name, username: name, password: tokens[name] ?? 'none', ...options },
      false,
    );
    clients.push(client);
    return client;
  }

  test('a command published on node A reaches the machine connected to node B, and its event comes back to A', async () => {
    const [a, b] = [await startNode(), await startNode()];
    const dashboard = await connect(a, 'dashboard');
    const collectorOnA = await connect(a, 'collector');
    const kiosk = await connect(b, 'kiosk-a');
    const atKiosk = collectMessages(kiosk);
    const atCollector = collectMessages(collectorOnA);
    await kiosk.subscribeAsync(topics.topic('kiosk-a', 'commands'), { qos: 1 });
    await collectorOnA.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });

    await dashboard.publishAsync(topics.topic('kiosk-a', 'commands'), '{"id":"c1"}', { qos: 1 });
    await expect.poll(() => atKiosk.map((m) => m.payload)).toEqual(['{"id":"c1"}']);
    await kiosk.publishAsync(topics.topic('kiosk-a', 'events'), '{"id":"e1"}', { qos: 1 });
    await expect.poll(() => atCollector.map((m) => m.payload)).toEqual(['{"id":"e1"}']);
  });

  test("an ack published on node B reaches the machine's subscription on node A", async () => {
    const [a, b] = [await startNode(), await startNode()];
    const kiosk = await connect(a, 'kiosk-a');
    const atKiosk = collectMessages(kiosk);
    await kiosk.subscribeAsync(topics.topic('kiosk-a', 'acks'), { qos: 1 });
    const collectorOnB = await connect(b, 'collector');

    await collectorOnB.publishAsync(topics.topic('kiosk-a', 'acks'), '{"ids":["e1"]}', { qos: 1 });
    await expect.poll(() => atKiosk.map((m) => m.topic)).toEqual([topics.topic('kiosk-a', 'acks')]);
  });

  test("a machine reconnecting to node B with its client id takes over: node A's connection is closed", async () => {
    const [a, b] = [await startNode(), await startNode()];
    const first = await connect(a, 'kiosk-a');
    const firstClosed = closeOf(first);
    await expect.poll(() => a.isKioskConnected('kiosk-a')).toBe(true);

    await connect(b, 'kiosk-a');
    await firstClosed;
    await expect.poll(() => a.isKioskConnected('kiosk-a')).toBe(false);
    expect(b.isKioskConnected('kiosk-a')).toBe(true);
  });

  test('a retained status published on node A is given to a subscriber on node B', async () => {
    const [a, b] = [await startNode(), await startNode()];
    const kiosk = await connect(a, 'kiosk-a');
    await kiosk.publishAsync(topics.topic('kiosk-a', 'status'), '{"state":"online"}', { qos: 1, retain: true });

    const collectorOnB = await connect(b, 'collector');
    const received = collectMessages(collectorOnB);
    await collectorOnB.subscribeAsync(topics.everyKiosk('status'), { qos: 1 });
    await expect
      .poll(() => received)
      .toEqual([{ topic: topics.topic('kiosk-a', 'status'), payload: '{"state":"online"}', isRetained: true }]);
  });

  test("the ACL holds across nodes: a machine on B can neither read nor write another machine's topics on A", async () => {
    const [a, b] = [await startNode(), await startNode()];
    const dashboard = await connect(a, 'dashboard');
    const collectorOnA = await connect(a, 'collector');
    const atCollector = collectMessages(collectorOnA);
    await collectorOnA.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });
    const intruder = await connect(b, 'kiosk-b');
    const atIntruder = collectMessages(intruder);

    await expect(intruder.subscribeAsync(topics.topic('kiosk-a', 'commands'), { qos: 1 })).rejects.toMatchObject({
      packet: { granted: [128] },
    });
    await dashboard.publishAsync(topics.topic('kiosk-a', 'commands'), '{"id":"c1"}', { qos: 1 });
    // Refused publishes close the connection (aedes 1.x answers no PUBACK): the intruder's is gone.
    const closed = closeOf(intruder);
    intruder.publish(topics.topic('kiosk-a', 'events'), '{"id":"forged"}', { qos: 1 });
    await closed;
    // A marker from the machine itself arrives; nothing forged came before it.
    const kiosk = await connect(b, 'kiosk-a');
    await kiosk.publishAsync(topics.topic('kiosk-a', 'events'), '{"id":"real"}', { qos: 1 });
    await expect.poll(() => atCollector.map((m) => m.payload)).toEqual(['{"id":"real"}']);
    expect(atIntruder).toEqual([]);
  });

  test("the embedded collector on a node is handed only what that node's machines published", async () => {
    const [a, b] = [await startNode(), await startNode()];
    const onA: string[] = [];
    const transport = attachLocalTransport(a.aedes);
    transports.push(transport);
    await transport.subscribe([topics.everyKiosk('events')], (_topic, payload) => onA.push(payload.toString()));
    const onB = await connect(b, 'kiosk-b');
    await onB.publishAsync(topics.topic('kiosk-b', 'events'), '{"id":"from-b"}', { qos: 1 });
    const onAKiosk = await connect(a, 'kiosk-a');
    await onAKiosk.publishAsync(topics.topic('kiosk-a', 'events'), '{"id":"from-a"}', { qos: 1 });

    await expect.poll(() => onA).toEqual(['{"id":"from-a"}']);
  });

  test('a node whose Redis cannot be reached at start does not start, and says why', async () => {
    const closedPort = `redis://127.0.0.1:${redis.port + 1}`;
    const starting = startBroker({
      topics,
      port: 0,
      verifyKioskToken: verify,
      verifyServiceToken: verify,
      clusterRedisUrl: closedPort,
      logger: pino({ level: 'silent' }),
    });
    await expect(starting).rejects.toMatchObject({
      code: 'BROKER_CLUSTER_REDIS_UNREACHABLE',
      message: expect.stringContaining('ECONNREFUSED') as string,
    });
  });

  test('with Redis stopped each node keeps serving its own machines, says so, and routes between nodes again once Redis returns', async () => {
    const logs = captureLogs();
    const [a, b] = [await startNode(logs.logger), await startNode()];
    const kioskOnA = await connect(a, 'kiosk-a');
    const kioskOnB = await connect(b, 'kiosk-b');
    const collectorOnA = await connect(a, 'collector');
    const dashboardOnA = await connect(a, 'dashboard');
    const atCollector = collectMessages(collectorOnA);
    const atKioskA = collectMessages(kioskOnA);
    const atKioskB = collectMessages(kioskOnB);
    await collectorOnA.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });
    await kioskOnA.subscribeAsync(topics.topic('kiosk-a', 'acks'), { qos: 1 });
    await kioskOnB.subscribeAsync(topics.topic('kiosk-b', 'commands'), { qos: 1 });
    expect(a.stats().cluster).toMatchObject({ state: 'ok' });
    expect([a.canReachKiosk('kiosk-a'), a.canReachKiosk('kiosk-b')]).toEqual([true, true]);

    await redis.stopServer();
    await expect.poll(() => a.stats().cluster?.state).toBe('degraded');
    // What the command API asks before sending: its own machine yes, the other node's no.
    expect([a.canReachKiosk('kiosk-a'), a.canReachKiosk('kiosk-b')]).toEqual([true, false]);
    expect(a.stats().cluster?.detail).toMatch(/Redis unreachable/);
    await expect.poll(() => logs.lines.some((line) => line.level >= 50 && line.msg.includes('Redis unreachable'))).toBe(true);

    // Local traffic still flows: the machine's event to the collector, the ack back.
    await kioskOnA.publishAsync(topics.topic('kiosk-a', 'events'), '{"id":"e-during"}', { qos: 1 });
    await expect.poll(() => atCollector.map((m) => m.payload)).toEqual(['{"id":"e-during"}']);
    await collectorOnA.publishAsync(topics.topic('kiosk-a', 'acks'), '{"ids":["e-during"]}', { qos: 1 });
    await expect.poll(() => atKioskA.length).toBe(1);
    // What cannot reach the other node is counted, not silently dropped.
    await dashboardOnA.publishAsync(topics.topic('kiosk-b', 'commands'), '{"id":"lost"}', { qos: 1 });
    await expect.poll(() => a.stats().cluster?.notBroadcast ?? 0).toBeGreaterThan(0);

    await redis.startServer();
    await expect.poll(() => [a.stats().cluster?.state, b.stats().cluster?.state], { timeout: 10_000 }).toEqual(['ok', 'ok']);
    expect(a.canReachKiosk('kiosk-b')).toBe(true);
    await dashboardOnA.publishAsync(topics.topic('kiosk-b', 'commands'), '{"id":"after"}', { qos: 1 });
    await expect.poll(() => atKioskB.map((m) => m.payload)).toContain('{"id":"after"}');
    expect(atKioskB.map((m) => m.payload)).not.toContain('{"id":"lost"}');
  }, 30_000);
});
