import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';

/*
 * Two whole platform nodes (`startPlatform`, as `kiosk-fleet start` runs it) on one Redis. Each
 * keeps its own registry for now (SQLite in its DATA_DIR), so a machine is provisioned on both.
 */
describe.skipIf(skipWithoutRedis)('two platform nodes sharing one Redis (CLUSTER_REDIS_URL)', () => {
  const redis = useRedis();
  let a: TestPlatform | undefined;
  let b: TestPlatform | undefined;
  let machine: MqttClient;
  const commands: { id: string; type: string }[] = [];

  beforeAll(async () => {
    a = await startTestPlatform({ CLUSTER_REDIS_URL: redis.url });
    b = await startTestPlatform({ CLUSTER_REDIS_URL: redis.url });
    await a.provision('CL-01');
    const tokenOnB = await b.provision('CL-01');
    machine = await b.connectKiosk('CL-01', tokenOnB);
    machine.on('message', (topic, payload) => {
      if (topic.endsWith('/commands')) commands.push(JSON.parse(payload.toString()) as { id: string; type: string });
    });
    await machine.subscribeAsync('kiosks/CL-01/commands', { qos: 1 });
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  }, 60_000);

  test("a command sent from node A's dashboard reaches the machine connected to node B", async () => {
    const admin = await a!.api('admin');
    const sent = await admin.post<{ command: { id: string } }>('/api/v1/kiosks/CL-01/commands', {
      type: 'pause',
      reason: 'relocation',
    });
    expect(sent.status).toBe(202);
    await expect.poll(() => commands.map((c) => c.id)).toContain(sent.body.command.id);
  });

  test('an event of the machine on node B is stored and acked by node B only, and pushed to a browser on node A', async () => {
    const browserOnA = await a!.socket('operator');
    const pushedOnA: string[] = [];
    browserOnA.on('events', (events: { id: string }[]) => pushedOnA.push(...events.map((e) => e.id)));
    const acked: string[] = [];
    machine.on('message', (topic, payload) => {
      if (topic.endsWith('/acks')) acked.push(...(JSON.parse(payload.toString()) as { stored: string[] }).stored);
    });
    await machine.subscribeAsync('kiosks/CL-01/acks', { qos: 1 });
    const event = { id: 'CL-01-ev-1', ts: new Date().toISOString(), type: 'loan', itemId: 'B1' };
    await machine.publishAsync('kiosks/CL-01/events', JSON.stringify(event), { qos: 1 });

    await expect.poll(() => acked).toEqual([event.id]);
    const storedOn = async (node: TestPlatform) =>
      (await node.platform.store.readEvents({ kioskId: 'CL-01', types: ['loan'] })).map((e) => e.id);
    expect(await storedOn(b!)).toEqual([event.id]);
    expect(await storedOn(a!)).toEqual([]);
    expect(a!.platform.collector.ingest.stats().messagesIn).toBe(0);
    // Node B's live push reaches node A's browsers through socket.io's Redis adapter.
    await expect.poll(() => pushedOnA).toContain(event.id);
  });

  test('with Redis stopped, each node keeps storing and acking its own machines and its health says what is lost; it recovers', async () => {
    const brokerHealth = async (node: TestPlatform) =>
      (await node.get<{ components: { broker: { state: string; detail: string } } }>('/api/v1/health')).body.components.broker;
    expect((await brokerHealth(a!)).state).toBe('ok');
    const acked: string[] = [];
    machine.on('message', (topic, payload) => {
      if (topic.endsWith('/acks')) acked.push(...(JSON.parse(payload.toString()) as { stored: string[] }).stored);
    });
    await redis.stopServer();
    try {
      await expect.poll(async () => (await brokerHealth(a!)).state).toBe('degraded');
      expect((await brokerHealth(b!)).detail).toMatch(/Redis unreachable/);
      const event = { id: 'CL-01-ev-during', ts: new Date().toISOString(), type: 'loan', itemId: 'B2' };
      await machine.publishAsync('kiosks/CL-01/events', JSON.stringify(event), { qos: 1 });
      await expect.poll(() => acked).toContain(event.id);
    } finally {
      await redis.startServer();
    }
    await expect
      .poll(async () => [(await brokerHealth(a!)).state, (await brokerHealth(b!)).state], { timeout: 10_000 })
      .toEqual(['ok', 'ok']);
  }, 30_000);
});
