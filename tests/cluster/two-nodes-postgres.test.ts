import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';

/* Two whole nodes sharing one PostgreSQL (history, registry) and one Redis: a machine provisioned once. */
describe.skipIf(skipWithoutRedis || skipWithoutPostgres)('two platform nodes on one PostgreSQL and one Redis', () => {
  const redis = useRedis();
  const postgres = usePostgres();
  let a: TestPlatform | undefined;
  let b: TestPlatform | undefined;
  let machine: MqttClient | undefined;
  let token: string;

  beforeAll(async () => {
    const { url } = await postgres.createDatabase();
    a = await startTestPlatform({ CLUSTER_REDIS_URL: redis.url, DATABASE_URL: url });
    b = await startTestPlatform({ CLUSTER_REDIS_URL: redis.url, DATABASE_URL: url });
    token = await a.provision('PG-01');
  }, 120_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  }, 60_000);

  test("a machine provisioned on node A connects to node B; A's command reaches it; its event is stored once and acked", async () => {
    // Node B learns of the machine through the shared registry (LISTEN/NOTIFY): refused until then.
    const tryConnect = async () => (machine = await b!.connectKiosk('PG-01', token).catch(() => undefined)) !== undefined;
    await expect.poll(tryConnect, { timeout: 10_000 }).toBe(true);
    const commands: string[] = [];
    const acked: string[] = [];
    machine!.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as { id?: string; stored?: string[] };
      if (topic.endsWith('/commands')) commands.push(body.id ?? '');
      if (topic.endsWith('/acks')) acked.push(...(body.stored ?? []));
    });
    await machine!.subscribeAsync(['kiosks/PG-01/commands', 'kiosks/PG-01/acks'], { qos: 1 });
    const sent = await (
      await a!.api('admin')
    ).post<{ command: { id: string } }>('/api/v1/kiosks/PG-01/commands', {
      type: 'pause',
      reason: 'relocation',
    });
    expect(sent.status).toBe(202);
    await expect.poll(() => commands).toContain(sent.body.command.id);

    const event = { id: 'PG-01-ev-1', ts: new Date().toISOString(), type: 'loan', itemId: 'B1' };
    await machine!.publishAsync('kiosks/PG-01/events', JSON.stringify(event), { qos: 1 });
    await expect.poll(() => acked).toEqual([event.id]);
    const loans = await a!.platform.store.readEvents({ kioskId: 'PG-01', types: ['loan'] });
    expect(loans.map((e) => e.id)).toEqual([event.id]);
  });
});
