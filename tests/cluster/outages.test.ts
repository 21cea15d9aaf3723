import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../support/postgres.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';
import { type SteadyLoad, startSteadyLoad } from '../support/steady-machines.js';

/*
 * Issue 16's outages: three whole nodes (`startPlatform`, in this process) on one real PostgreSQL
 * and one real Redis, machines on all three publishing steadily, and one engine stopped under them.
 * The two 60 s stops are each one test on the same cluster; the others stop for moments.
 * Whatever a test stops it starts again in `finally`, so a failed assertion leaves the next test
 * its servers. In-process nodes rather than `kiosk-fleet start` processes: the engines are the
 * real processes that stop here, and a node's spool, health and routing are the same code either
 * way; the processes behind HAProxy are `three-nodes.test.ts`'s (killing a node).
 */

interface Health {
  status: 'ok' | 'degraded' | 'down';
  components: {
    broker: { state: string; detail: string };
    store: { state: string; detail: string };
    spool?: { state: string; depth: number };
    database?: { state: string; detail: string };
  };
}

/** The outage length. */
const OUTAGE_MS = 60_000;
/** Each machine publishes a loan this often: 6 machines, 24 events a second across the three nodes. */
const PUBLISH_EVERY_MS = 250;

const healthOf = async (node: TestPlatform) => (await node.get<Health>('/api/v1/health')).body;

/** Waits out an outage: the wall clock is the point here (the issue asks for 60 s), not a guess at how long something takes. */
async function holdOutage(startedAtMs: number, durationMs: number, whileDown: () => Promise<void>): Promise<void> {
  await expect
    .poll(
      async () => {
        await whileDown();
        return Date.now() - startedAtMs;
      },
      { timeout: durationMs + 30_000, interval: 2_000 },
    )
    .toBeGreaterThanOrEqual(durationMs);
}

type NodeName = 'a' | 'b' | 'c';
const NODE_NAMES: readonly NodeName[] = ['a', 'b', 'c'];

describe.skipIf(skipWithoutRedis || skipWithoutPostgres)('three nodes through outages of PostgreSQL and Redis', () => {
  const redis = useRedis();
  const postgres = usePostgres();

  describe('nodes A, B and C sharing one database and one Redis, two machines on each', () => {
    let database: TestDatabase;
    const nodes = new Map<NodeName, TestPlatform>();
    const machines: { id: string; client: MqttClient; node: NodeName }[] = [];
    const tokens = new Map<string, string>();

    beforeAll(async () => {
      database = await postgres.createDatabase();
      const settings = { CLUSTER_REDIS_URL: redis.url, DATABASE_URL: database.url };
      // One after another: each is in `nodes` as soon as it runs, so afterAll stops it even when a later start fails.
      for (const name of NODE_NAMES) nodes.set(name, await startTestPlatform(settings));
      const a = nodes.get('a')!;
      for (const name of NODE_NAMES) {
        for (const n of [1, 2]) {
          const id = `OUT-${name.toUpperCase()}${n}`;
          tokens.set(id, await a.provision(id));
          const platform = nodes.get(name)!;
          // Nodes B and C learn of machines provisioned on A through the registry's LISTEN: refused until then.
          const client = await vi.waitFor(() => platform.connectKiosk(id, tokens.get(id)!), { timeout: 10_000, interval: 100 });
          machines.push({ id, client, node: name });
        }
      }
      // Signed in while the database is up: through an outage a node takes a session it verified lately.
      for (const node of nodes.values()) await node.api('admin');
    }, 120_000);
    afterAll(async () => {
      // Every node stopped even when one's stop throws; the first failure reported after.
      const stopped = await Promise.allSettled([...nodes.values()].reverse().map((node) => node.stop()));
      const failed = stopped.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    }, 60_000);

    const nodeOf = (name: NodeName) => nodes.get(name)!;
    const allNodes = () => NODE_NAMES.map(nodeOf);
    const loansIn = async (where: string) =>
      Number(await postgres.psql(`SELECT count(*) FROM events WHERE type = 'loan' AND ${where}`, database.name));

    /** Every id the load published is stored once, counted once in the day counts, and shown in each machine's live day. */
    async function expectExactlyOnce(load: SteadyLoad): Promise<void> {
      expect(load.errors).toEqual([]);
      await expect.poll(() => load.unacked(), { timeout: 30_000 }).toEqual([]);
      const ids = load.published.map((id) => `'${id}'`).join(',');
      const [rows, distinct] = (
        await postgres.psql(`SELECT count(*) || ',' || count(DISTINCT id) FROM events WHERE id IN (${ids})`, database.name)
      ).split(',');
      expect([Number(rows), Number(distinct)]).toEqual([load.published.length, load.published.length]);
      for (const { id, node } of machines) {
        const stored = await loansIn(`kiosk_id = '${id}'`);
        const counted = Number(
          await postgres.psql(
            `SELECT COALESCE(sum(count), 0) FROM daily_counts WHERE kiosk_id = '${id}' AND type = 'loan'`,
            database.name,
          ),
        );
        expect([id, counted]).toEqual([id, stored]);
        // The live day of the node the machine is connected to: folded from what it stored and replayed.
        const live = await nodeOf(node).get<{ kiosk: { today: { loans: number } } }>(`/api/v1/kiosks/${id}`);
        expect([id, live.body.kiosk.today.loans]).toEqual([id, stored]);
      }
    }

    test("PostgreSQL stopped for 60 s under load: each of the three nodes acks from its spool, says degraded with the depth, replays; every event stored and counted once; a browser on B sees A's and C's machines catch up", async () => {
      const [a, b, c] = allNodes() as [TestPlatform, TestPlatform, TestPlatform];
      // A browser on node B: the machines on A and C reach its live view through socket.io's Redis adapter.
      const browserOnB = await b.socket('operator');
      const loansSeenOnB = new Map<string, number>();
      browserOnB.on('kiosks', (views: { id: string; today: { loans: number } | null }[]) => {
        for (const view of views) loansSeenOnB.set(view.id, view.today?.loans ?? 0);
      });
      const load = await startSteadyLoad(machines, PUBLISH_EVERY_MS);
      try {
        await expect.poll(() => load.acked.size).toBeGreaterThanOrEqual(machines.length * 2);
        // Also the admin's session verified on each node before the outage (its grace starts there).
        for (const node of [a, b, c]) expect((await healthOf(node)).status).toBe('ok');
        await postgres.stopServer();
        const stoppedAtMs = Date.now();
        try {
          for (const node of [a, b, c]) {
            await expect
              .poll(async () => {
                const health = await healthOf(node);
                return [health.status, health.components.store.state, health.components.spool?.state];
              })
              .toEqual(['degraded', 'degraded', 'degraded']);
          }
          const ackedAtStop = load.acked.size;
          const depths: number[][] = [];
          await holdOutage(stoppedAtMs, OUTAGE_MS, async () => {
            depths.push(await Promise.all([a, b, c].map(async (node) => (await healthOf(node)).components.spool?.depth ?? 0)));
          });
          // Acked from the spool all along: what was published well before now is acked, on every node.
          const publishedBefore = load.published.slice(0, -machines.length * 4);
          await expect.poll(() => publishedBefore.filter((id) => !load.acked.has(id))).toEqual([]);
          expect(load.acked.size - ackedAtStop).toBeGreaterThan(machines.length * 100);
          // The health's spool depth grew on every node through the outage.
          const [first = [], last = []] = [depths[0], depths.at(-1)];
          expect(NODE_NAMES.map((_, i) => (last[i] ?? 0) > (first[i] ?? 0))).toEqual([true, true, true]);
        } finally {
          await postgres.startServer();
        }
        for (const node of [a, b, c]) {
          await expect
            .poll(
              async () => {
                const health = await healthOf(node);
                return [health.status, health.components.spool?.depth];
              },
              { timeout: 60_000 },
            )
            .toEqual(['ok', 0]);
        }
      } finally {
        await load.stop();
      }
      await expectExactlyOnce(load);
      // The browser on B stayed connected through the outage (its session is checked every 0.5 s),
      // and its live view of the other nodes' machines caught up with their replayed history.
      expect(browserOnB.connected).toBe(true);
      for (const { id } of machines.filter((m) => m.node !== 'b')) {
        const stored = await loansIn(`kiosk_id = '${id}'`);
        await expect.poll(() => [id, loansSeenOnB.get(id)]).toEqual([id, stored]);
      }
    }, 240_000);

    test("Redis stopped for 60 s under load: each of the three nodes keeps acking its own machines; a command on A for a machine on C is refused 503 CLUSTER_MESSAGING_DOWN, one for a machine on A is delivered; after, the command reaches C's machine", async () => {
      const [a, b, c] = allNodes() as [TestPlatform, TestPlatform, TestPlatform];
      const commandsAt = new Map<string, string[]>();
      for (const { id, client } of machines.filter((m) => m.id === 'OUT-A1' || m.id === 'OUT-C1')) {
        commandsAt.set(id, []);
        client.on('message', (topic, payload) => {
          if (topic === `kiosks/${id}/commands`) commandsAt.get(id)!.push((JSON.parse(payload.toString()) as { id: string }).id);
        });
        await client.subscribeAsync(`kiosks/${id}/commands`, { qos: 1 });
      }
      const [adminA, adminC] = [await a.api('admin'), await c.api('admin')];
      const reboot = (admin: typeof adminA, id: string) =>
        admin.post<{ command: { id: string }; error?: { code: string; message: string } }>(`/api/v1/kiosks/${id}/commands`, {
          type: 'reboot',
          reason: 'outage test',
        });
      const brokerStates = async () => Promise.all([a, b, c].map(async (node) => (await healthOf(node)).components.broker.state));
      const load = await startSteadyLoad(machines, PUBLISH_EVERY_MS);
      try {
        await expect.poll(() => load.acked.size).toBeGreaterThanOrEqual(machines.length * 2);
        await redis.stopServer();
        const stoppedAtMs = Date.now();
        try {
          await expect.poll(brokerStates).toEqual(['degraded', 'degraded', 'degraded']);
          const ackedAtStop = load.acked.size;

          // From A to a machine on C: refused at once and said why; nothing recorded as sent.
          const sentBefore = (await adminA.get<{ commands: unknown[] }>('/api/v1/kiosks/OUT-C1/commands')).body.commands.length;
          const refused = await reboot(adminA, 'OUT-C1');
          expect([refused.status, refused.body.error?.code]).toEqual([503, 'CLUSTER_MESSAGING_DOWN']);
          expect(refused.body.error?.message).toMatch(/not connected to this node.*Redis/);
          expect((await adminA.get<{ commands: unknown[] }>('/api/v1/kiosks/OUT-C1/commands')).body.commands).toHaveLength(
            sentBefore,
          );
          // Within a node: delivered as ever, on A and on C.
          const onA = await reboot(adminA, 'OUT-A1');
          const onC = await reboot(adminC, 'OUT-C1');
          expect([onA.status, onC.status]).toEqual([202, 202]);
          await expect
            .poll(() => [commandsAt.get('OUT-A1'), commandsAt.get('OUT-C1')])
            .toEqual([[onA.body.command.id], [onC.body.command.id]]);

          await holdOutage(stoppedAtMs, OUTAGE_MS, async () => {
            expect(await brokerStates()).toEqual(['degraded', 'degraded', 'degraded']);
          });
          // Every node kept acking its own machines: what was published well before now is acked.
          const publishedBefore = load.published.slice(0, -machines.length * 4);
          await expect.poll(() => publishedBefore.filter((id) => !load.acked.has(id))).toEqual([]);
          expect(load.acked.size - ackedAtStop).toBeGreaterThan(machines.length * 100);
        } finally {
          await redis.startServer();
        }
        await expect.poll(brokerStates, { timeout: 20_000 }).toEqual(['ok', 'ok', 'ok']);
        // Routing between the nodes is back: the command that was refused now reaches C's machine from A.
        const after = await reboot(adminA, 'OUT-C1');
        expect(after.status).toBe(202);
        await expect.poll(() => commandsAt.get('OUT-C1')).toContain(after.body.command.id);
      } finally {
        await load.stop();
      }
      await expectExactlyOnce(load);
    }, 240_000);

    test("PostgreSQL stopped for moments: sign-in and provisioning answer 503, known machines still connect; once it is back the registry's LISTEN resumes on every node", async () => {
      const [a, b] = allNodes() as [TestPlatform, TestPlatform, TestPlatform];
      const adminA = await a.api('admin');
      // Known to both nodes before the outage, connected to neither.
      const known = 'OUT-K1';
      tokens.set(known, await a.provision(known));
      await expect.poll(async () => (await b.get(`/api/v1/kiosks/${known}`)).status).toBe(200);
      const databaseStates = () =>
        Promise.all(
          allNodes().map(async (node) => [(await healthOf(node)).status, (await healthOf(node)).components.database?.state]),
        );
      // Polled: a failed test before this one may leave a node still replaying its spool.
      await expect.poll(databaseStates, { timeout: 20_000 }).toEqual([
        ['ok', 'ok'],
        ['ok', 'ok'],
        ['ok', 'ok'],
      ]);

      await postgres.stopServer();
      let knownOnB: MqttClient | undefined;
      try {
        const signIn = await fetch(`${a.baseUrl}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'operator', password: 'operator-password-1' }),
        });
        expect([signIn.status, ((await signIn.json()) as { error: { code: string } }).error.code]).toEqual([
          503,
          'STORE_UNAVAILABLE',
        ]);
        const provisioned = await adminA.post<{ error: { code: string } }>('/api/v1/kiosks', {
          id: 'OUT-K9',
          name: 'During the outage',
          district: 'Test',
          lat: 39.9,
          lon: 116.4,
        });
        expect([provisioned.status, provisioned.body.error.code]).toEqual([503, 'STORE_UNAVAILABLE']);
        // Tokens are checked against each node's copy of the registry: a new connection is taken.
        knownOnB = await b.connectKiosk(known, tokens.get(known)!);
        // No event is waiting to be written, yet each node's health says the database is away.
        await expect.poll(databaseStates).toEqual([
          ['degraded', 'degraded'],
          ['degraded', 'degraded'],
          ['degraded', 'degraded'],
        ]);
      } finally {
        await postgres.startServer();
      }
      await expect
        .poll(
          async () =>
            await b.login('operator', 'operator-password-1').then(
              () => 200,
              () => 503,
            ),
          { timeout: 20_000 },
        )
        .toBe(200);

      await expect.poll(databaseStates, { timeout: 20_000 }).toEqual([
        ['ok', 'ok'],
        ['ok', 'ok'],
        ['ok', 'ok'],
      ]);
      // Node B hears of a machine provisioned on A after the outage: its LISTEN connection is back.
      const fresh = 'OUT-K2';
      let freshToken = '';
      await expect
        .poll(async () => {
          const res = await adminA.post<{ mqtt: { password: string } }>('/api/v1/kiosks', {
            id: fresh,
            name: fresh,
            district: 'Test',
            lat: 39.9,
            lon: 116.4,
          });
          if (res.status === 201) freshToken = res.body.mqtt.password;
          return res.status;
        })
        .toBe(201);
      await expect
        .poll(
          async () =>
            await b.connectKiosk(fresh, freshToken).then(
              () => true,
              () => false,
            ),
        )
        .toBe(true);
      // And of a revocation on A: it cuts the machine off on B.
      const closed = new Promise<void>((resolve) => knownOnB!.once('close', () => resolve()));
      expect((await adminA.post(`/api/v1/kiosks/${known}/revoke`)).status).toBe(200);
      await closed;
    }, 120_000);
  });

  test('two nodes starting at once on an empty database both come up, and the schema is migrated once', async () => {
    const reference = await postgres.createDatabase();
    const alone = await startTestPlatform({ DATABASE_URL: reference.url });
    await alone.stop();
    const migrationsOf = (name: string) =>
      postgres.psql(
        `SELECT string_agg(component || ' ' || version, ',' ORDER BY component, version) FROM schema_migrations`,
        name,
      );

    const database = await postgres.createDatabase();
    const started = await Promise.allSettled([0, 1].map(() => startTestPlatform({ DATABASE_URL: database.url })));
    try {
      expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : s.status))).toEqual(['fulfilled', 'fulfilled']);
      // Every component's versions, each recorded once: as one node alone records them.
      expect(await migrationsOf(database.name)).toBe(await migrationsOf(reference.name));
      const [first, second] = started.map((s) => (s as PromiseFulfilledResult<TestPlatform>).value);
      expect(second!.platform.foundation.secrets.serviceToken).toBe(first!.platform.foundation.secrets.serviceToken);
      const token = await first!.provision('MIG-01');
      await expect
        .poll(() =>
          second!.connectKiosk('MIG-01', token).then(
            () => true,
            () => false,
          ),
        )
        .toBe(true);
    } finally {
      for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
    }
  }, 120_000);
});
