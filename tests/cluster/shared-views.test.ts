import type { MqttClient } from 'mqtt';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';

/*
 * Two whole nodes on one PostgreSQL and one Redis: what one node stores reaches the other's views
 * (commands and acks, alerts), and its browsers are told.
 */
describe.skipIf(skipWithoutRedis || skipWithoutPostgres)('views shared by two nodes on one PostgreSQL', () => {
  const redis = useRedis();
  const postgres = usePostgres();
  let a: TestPlatform | undefined;
  let b: TestPlatform | undefined;
  let machine: MqttClient | undefined;
  let token: string;
  let databaseName: string;
  let databaseUrl: string;

  beforeAll(async () => {
    const { name, url } = await postgres.createDatabase();
    databaseName = name;
    databaseUrl = url;
    a = await startTestPlatform({ CLUSTER_REDIS_URL: redis.url, DATABASE_URL: url });
    b = await startTestPlatform({ CLUSTER_REDIS_URL: redis.url, DATABASE_URL: url });
    token = await a.provision('SV-01');
  }, 120_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  }, 60_000);

  /** Publishes as the machine, connected to node B (which learns of it through the shared registry). */
  async function publish(event: Record<string, unknown>): Promise<void> {
    if (!machine) {
      const tryConnect = async () => (machine = await b!.connectKiosk('SV-01', token).catch(() => undefined)) !== undefined;
      await expect.poll(tryConnect, { timeout: 10_000 }).toBe(true);
    }
    await machine!.publishAsync('kiosks/SV-01/events', JSON.stringify({ ts: new Date().toISOString(), ...event }), { qos: 1 });
  }

  test('a command sent on node A and acked by the machine on node B shows as acknowledged on both nodes', async () => {
    const sent = await (
      await a!.api('admin')
    ).post<{ command: { id: string } }>('/api/v1/kiosks/SV-01/commands', { type: 'reboot', reason: 'shared views' });
    expect(sent.status).toBe(202);
    const commandId = sent.body.command.id;
    await publish({ id: 'SV-01-ack-1', type: 'command_ack', commandId, result: 'done' });
    for (const node of [a!, b!]) {
      const statusOn = async () =>
        (await node.get<{ commands: { id: string; status: string }[] }>('/api/v1/kiosks/SV-01/commands')).body.commands.find(
          (c) => c.id === commandId,
        )?.status;
      await expect.poll(statusOn, { timeout: 10_000 }).toBe('done');
    }
  });

  test("a fault stored by node B opens the alert on node A too, and A's browser is told of it", async () => {
    const socket: Socket = await a!.socket('admin');
    const pushed: string[] = [];
    socket.on('alerts', (alerts: { id: string; kioskId: string }[]) =>
      pushed.push(...alerts.filter((x) => x.kioskId === 'SV-01').map((x) => x.id)),
    );
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // The open alerts sent on connect: none of this machine's yet.
    const before = pushed.length;
    await publish({ id: 'SV-01-fault-1', type: 'fault', faultId: 'F1', component: 'door', code: 'DOOR_OPEN', severity: 'major' });
    const openOn = async (node: TestPlatform) =>
      (await node.get<{ alerts: { kioskId: string }[] }>('/api/v1/alerts')).body.alerts.filter((x) => x.kioskId === 'SV-01')
        .length;
    await expect.poll(() => openOn(b!), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => openOn(a!), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => pushed.length - before, { timeout: 10_000 }).toBeGreaterThan(0);
  });

  test("node A shows the live state of a machine connected to node B: its connection, today's loans, its open fault", async () => {
    await publish({ id: 'SV-01-loan-1', type: 'loan', itemId: 'B-SV-1' });
    const liveOn = async (node: TestPlatform) =>
      (
        await node.get<{ kiosk: { connection: string; today: { loans: number } | null; openFaults: unknown[] } }>(
          '/api/v1/kiosks/SV-01',
        )
      ).body.kiosk;
    await expect.poll(async () => (await liveOn(b!)).today?.loans, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await liveOn(a!)).today?.loans, { timeout: 10_000 }).toBe(1);
    const onA = await liveOn(a!);
    const onB = await liveOn(b!);
    expect(onA.connection).toBe(onB.connection);
    expect(onA.openFaults).toEqual(onB.openFaults);
  });

  test("a loan stored by node B while node A's append feed is cut shows once in A's day count when it is back", async () => {
    const loansOn = async (node: TestPlatform) =>
      (await node.get<{ kiosk: { today: { loans: number } | null } }>('/api/v1/kiosks/SV-01')).body.kiosk.today?.loans ?? 0;
    // A loan first, so B's store has a connection at hand for the one made in the gap.
    const start = await loansOn(b!);
    await publish({ id: 'SV-01-loan-before-gap', type: 'loan', itemId: 'B-SV-2' });
    const before = start + 1;
    await expect.poll(() => loansOn(b!), { timeout: 10_000 }).toBe(before);
    await expect.poll(() => loansOn(a!), { timeout: 10_000 }).toBe(before);

    // A connection of the test's own, made before new ones are refused, to cut and to look.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await postgres.psql(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
      try {
        // Both nodes' feeds (same application name): B's catch-up must skip its own loan, too.
        const { rows } = await db.query<{ cut: number }>(
          `SELECT count(*)::int AS cut FROM pg_stat_activity, pg_terminate_backend(pid, 10000) AS ended
           WHERE datname = current_database() AND application_name = 'kiosk-fleet append feed' AND ended`,
        );
        expect(rows[0]!.cut).toBe(2);
        await publish({ id: 'SV-01-loan-in-gap', type: 'loan', itemId: 'B-SV-3' });
        const stored = async () =>
          (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE id = 'SV-01-loan-in-gap'")).rows[0]!.n;
        await expect.poll(stored, { timeout: 10_000 }).toBe(1);
      } finally {
        await postgres.psql(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`);
      }
    } finally {
      await db.end();
    }
    await expect.poll(() => loansOn(a!), { timeout: 15_000 }).toBe(before + 1);
    // And not twice: the next loan, announced as usual, comes after it.
    await publish({ id: 'SV-01-loan-after-gap', type: 'loan', itemId: 'B-SV-4' });
    await expect.poll(() => loansOn(b!), { timeout: 10_000 }).toBe(before + 2);
    await expect.poll(() => loansOn(a!), { timeout: 10_000 }).toBe(before + 2);
  });
});
