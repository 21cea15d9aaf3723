import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKioskAgent, type KioskAgent } from '../../agent/kiosk-agent.js';
import { createLocalTime } from '../../agent/local-time.js';
import { openOutbox, type Outbox } from '../../agent/outbox.js';
import type { KioskCommand } from '../../protocol/commands.js';
import { createTopics } from '../../protocol/topics.js';
import { REFERENCE_DIR, REFERENCE_MACHINE_COUNT } from '../../platform/foundation.js';
import { ensureSimulatedCredentials } from '../../platform/sim-credentials.js';
import { openPostgresKioskRegistry } from '../../registry/postgres-kiosk-registry.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../../simulator/fleet.js';
import { loadCirculationProfile } from '../../simulator/profile.js';
import { createCalendar } from '../../time/calendar.js';
import {
  type ClusterFront,
  type ClusterNode,
  pinToNode,
  type PinnedFront,
  type RunningCluster,
  startClusterFront,
  startClusterNodes,
} from '../support/cluster-nodes.js';
import { skipWithoutHaproxy } from '../support/haproxy.js';
import { type ApiClient, login } from '../support/platform-harness.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';

/*
 * Three whole node processes (`kiosk-fleet start`) on one PostgreSQL and one Redis, HAProxy in
 * front, as docs/cluster.md deploys them; one node is killed with SIGKILL while 200 machines with
 * on-disk outboxes publish through HAProxy.
 */

const MACHINES = 200;
const ADMIN_PASSWORD = 'three-nodes-admin-password';
const TIME_ZONE = 'Asia/Shanghai';
const COMMAND_MACHINE = 'CMD-0001';
/** Two simulated days of the reference circulation generated in 60 s: about 60 events a second in all. */
const SIMULATED_MS = 2 * 86_400_000;
const REAL_MS = 60_000;
const silent = pino({ level: 'silent' });

interface SocketWatch {
  socket: Socket;
  connects: number;
  disconnects: number;
  /** `events` pushes received. */
  pushCount: number;
  escalations: string[];
  notices: string[];
}

/** A dashboard's socket.io client on one node, signed in as the admin, never reconnecting by itself. */
function watchSocket(node: ClusterNode, admin: ApiClient): SocketWatch {
  const socket = connectSocket(node.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: admin.headers });
  const watch: SocketWatch = { socket, connects: 0, disconnects: 0, pushCount: 0, escalations: [], notices: [] };
  socket.on('connect', () => (watch.connects += 1));
  socket.on('disconnect', () => (watch.disconnects += 1));
  socket.on('events', () => (watch.pushCount += 1));
  socket.on('escalation', (e: { alert: { id: string }; step: number }) => watch.escalations.push(`${e.alert.id}#${e.step}`));
  socket.on('notice', (n: { reservationId: string; step: string }) => watch.notices.push(`${n.reservationId}#${n.step}`));
  return watch;
}

/** Entries that occur more than once. */
const repeated = (list: readonly string[]) => [...new Set(list.filter((x, i) => list.indexOf(x) !== i))];

describe.skipIf(skipWithoutRedis || skipWithoutPostgres || skipWithoutHaproxy)(
  'three node processes behind HAProxy on one PostgreSQL and one Redis',
  () => {
    const redis = useRedis();
    const postgres = usePostgres();
    let databaseUrl: string;
    let dir: string;
    let cluster: RunningCluster | undefined;
    let front: ClusterFront | undefined;
    let db: pg.Client | undefined;
    let tokens: Record<string, string>;
    let commandToken: string;
    const admins: ApiClient[] = [];
    const sockets: SocketWatch[] = [];
    const stops: (() => Promise<unknown>)[] = [];
    const topics = createTopics();

    beforeAll(async () => {
      ({ url: databaseUrl } = await postgres.createDatabase());
      dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-three-nodes-'));
      // The machines are registered before the nodes start, as an operator imports them.
      const registry = await openPostgresKioskRegistry({ url: databaseUrl });
      try {
        const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), MACHINES);
        tokens = await ensureSimulatedCredentials(registry, kiosks, join(dir, 'credentials.json'));
        ({ token: commandToken } = await registry.provision({
          ...kiosks[0]!,
          id: COMMAND_MACHINE,
          name: 'Command test machine',
          lifecycle: 'active',
        }));
      } finally {
        await registry.close();
      }
      cluster = await startClusterNodes(3, { databaseUrl, redisUrl: redis.url, adminPassword: ADMIN_PASSWORD });
      front = await startClusterFront(cluster.nodes);
      for (const node of cluster.nodes) admins.push(await login(node.baseUrl, 'admin', ADMIN_PASSWORD));
      db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
    }, 180_000);

    afterAll(async () => {
      for (const watch of sockets) watch.socket.close();
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await db?.end();
      await front?.stop();
      await cluster?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    }, 60_000);

    const storedIds = async (ids: readonly string[]): Promise<string[]> =>
      (await db!.query<{ id: string }>('SELECT id FROM events WHERE id = ANY($1)', [ids])).rows.map((r) => r.id);

    test("a command sent from node A's API reaches a machine connected to node C, and every node shows its ack", async () => {
      const nodeC = cluster!.nodes[2]!;
      const pinned: PinnedFront = await pinToNode(nodeC);
      stops.push(() => pinned.stop());
      const outbox: Outbox = openOutbox(join(dir, 'command-machine-outbox.sqlite'));
      stops.push(async () => outbox.close());
      const commands: KioskCommand[] = [];
      const local = createLocalTime(TIME_ZONE);
      const agent: KioskAgent = createKioskAgent({
        kioskId: COMMAND_MACHINE,
        brokerUrl: pinned.mqttUrl,
        topics,
        credentials: { username: COMMAND_MACHINE, password: commandToken },
        outbox,
        timestamp: () => local.format(Date.now()),
        onCommand: (command) => (commands.push(command), { result: 'accepted' }),
        reconnectPeriodMs: 500,
        logger: silent,
      });
      agent.start();
      try {
        await expectCommandAckedEverywhere(agent, commands);
      } finally {
        // Stopped here, even when an assertion failed: the next test counts the fleet's connections.
        await agent.stop();
      }
    }, 60_000);

    /** Sent from node A (the first), answered by the machine on node C, shown on every node. */
    async function expectCommandAckedEverywhere(agent: KioskAgent, commands: readonly KioskCommand[]): Promise<void> {
      await expect.poll(() => agent.isOnline(), { timeout: 15_000 }).toBe(true);

      const sent = await admins[0]!.post<{ command: { id: string } }>(`/api/v1/kiosks/${COMMAND_MACHINE}/commands`, {
        type: 'reboot',
        reason: 'three-node test',
      });
      expect(sent.status).toBe(202);
      const commandId = sent.body.command.id;
      await expect.poll(() => commands.map((c) => c.id), { timeout: 15_000 }).toEqual([commandId]);
      // The ack went through the machine's outbox to node C, into the shared history, once.
      await expect.poll(() => agent.pendingCount(), { timeout: 15_000 }).toBe(0);
      const acks = await db!.query<{ id: string }>(
        "SELECT id FROM events WHERE type = 'command_ack' AND kiosk_id = $1 AND data->>'commandId' = $2",
        [COMMAND_MACHINE, commandId],
      );
      expect(acks.rowCount).toBe(1);
      expect(commands).toHaveLength(1);

      // Each node's API (A sent it, C holds the machine, B has neither) shows the command acknowledged.
      for (const [i, admin] of admins.entries()) {
        const statusOnNode = async () => {
          const answer = await admin.get<{ commands: { id: string; status: string }[] }>(
            `/api/v1/kiosks/${COMMAND_MACHINE}/commands`,
          );
          return { node: cluster!.nodes[i]!.name, status: answer.body.commands.find((c) => c.id === commandId)?.status };
        };
        await expect.poll(statusOnNode, { timeout: 10_000 }).toEqual({ node: cluster!.nodes[i]!.name, status: 'accepted' });
      }
    }

    test('node B killed (SIGKILL) mid-stream: its machines reconnect to A and C, nothing is lost or counted twice, dashboards keep receiving', async () => {
      const [nodeA, nodeB, nodeC] = cluster!.nodes as [ClusterNode, ClusterNode, ClusterNode];
      sockets.push(watchSocket(nodeA, admins[0]!), watchSocket(nodeC, admins[2]!));
      await expect.poll(() => sockets.every((s) => s.connects === 1), { timeout: 10_000 }).toBe(true);

      const generated = new Set<string>();
      const fleet: SimulatedFleet = createSimulatedFleet({
        brokerUrl: front!.mqttUrl,
        topics,
        kiosks: loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), MACHINES),
        credentials: (id) => (tokens[id] ? { username: id, password: tokens[id] } : undefined),
        dataDir: join(dir, 'fleet'),
        clock: { startMs: Date.now() - SIMULATED_MS, speed: SIMULATED_MS / REAL_MS },
        profile: loadCirculationProfile(
          join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
          join(REFERENCE_DIR, 'fault-catalogue.csv'),
          REFERENCE_MACHINE_COUNT,
        ),
        timeZone: TIME_ZONE,
        batchSize: 10,
        tickMs: 250,
        telemetryIntervalMs: 60_000,
        keepaliveSec: 30,
        ackTimeoutMs: 5_000,
        reconnectPeriodMs: 500,
        startStaggerMs: 5,
        logger: silent,
        onGenerated: (_, events) => events.forEach((e) => generated.add(e.id)),
      });
      stops.push(() => fleet.stop());
      await fleet.start();

      // Reservations created through HAProxy, due long ago: each gets its breach notice.
      const viaFront = await login(front!.httpUrl, 'admin', ADMIN_PASSWORD);
      const reservationIds = Array.from({ length: 6 }, (_, i) => `R3N-${i + 1}`);
      for (const [i, reservationId] of reservationIds.entries()) {
        const created = await viaFront.post('/api/v1/reservations', {
          reservationId,
          createdAt: new Date(Date.now() - 5 * 86_400_000).toISOString(),
          destination: { kind: 'kiosk', kioskId: fleet.machines[i]!.kioskId },
        });
        expect(created.status).toBe(201);
      }

      const health = async (admin: ApiClient) =>
        (await admin.get<{ components: { broker: { connectedKiosks?: number } } }>('/api/v1/health')).body.components.broker
          .connectedKiosks ?? 0;
      await expect
        .poll(async () => (await Promise.all(admins.map(health))).reduce((a, b) => a + b, 0), { timeout: 60_000 })
        .toBe(MACHINES);
      const onB = await health(admins[1]!);
      expect(onB).toBeGreaterThan(0);
      // Mid-stream: a good part of the history is in, more is coming.
      await expect
        .poll(async () => Number((await db!.query('SELECT count(*) AS n FROM events')).rows[0].n), { timeout: 60_000 })
        .toBeGreaterThan(1_500);

      await nodeB.kill();
      expect(await nodeB.exited).toMatchObject({ signal: 'SIGKILL' });
      const pushesAtKill = sockets.map((s) => s.pushCount);

      // Every machine is connected again, now all on A and C (the 30 s is a bound, not a measure).
      const survivors = [admins[0]!, admins[2]!];
      await expect
        .poll(async () => (await Promise.all(survivors.map(health))).reduce((a, b) => a + b, 0), { timeout: 30_000 })
        .toBe(MACHINES);
      await expect.poll(() => fleet.machines.every((m) => m.isOnline()), { timeout: 30_000 }).toBe(true);

      // The backlog generated, then everything generated up to now stored.
      await expect
        .poll(() => Math.min(...fleet.machines.map((m) => m.generatedUntilMs())), { timeout: 90_000, interval: 1_000 })
        .toBeGreaterThan(Date.now() - 60_000);
      const expected = [...generated];
      await expect
        .poll(async () => expected.length - (await storedIds(expected)).length, { timeout: 60_000, interval: 1_000 })
        .toBe(0);
      await fleet.stop();

      // 0 lost (above), 0 counted twice: each machine's day counts equal its distinct stored events.
      const calendar = createCalendar(TIME_ZONE);
      const events = await db!.query<{ kiosk_id: string; type: string; ts_ms: string }>(
        'SELECT kiosk_id, type, ts_ms FROM events',
      );
      const fromEvents = new Map<string, number>();
      for (const e of events.rows) {
        const key = `${calendar.dayOf(Number(e.ts_ms))}|${e.kiosk_id}|${e.type}`;
        fromEvents.set(key, (fromEvents.get(key) ?? 0) + 1);
      }
      const counted = await db!.query<{ day: string; kiosk_id: string; type: string; count: string }>(
        'SELECT day, kiosk_id, type, count FROM daily_counts',
      );
      const fromCounts = new Map(counted.rows.map((r) => [`${r.day}|${r.kiosk_id}|${r.type}`, Number(r.count)]));
      expect(Object.fromEntries(fromCounts)).toEqual(Object.fromEntries(fromEvents));
      const loansAndReturns = events.rows.filter((e) => e.type === 'loan' || e.type === 'return').length;
      expect(loansAndReturns).toBeGreaterThan(1_500);

      // The dashboards on A and C were never disconnected and kept receiving pushes after the kill.
      for (const [i, watch] of sockets.entries()) {
        expect({ connects: watch.connects, disconnects: watch.disconnects }).toEqual({ connects: 1, disconnects: 0 });
        expect(watch.pushCount).toBeGreaterThan(pushesAtKill[i]!);
      }

      // Each reservation's notice and each escalation exists once in the history and reached each dashboard once.
      await expect
        .poll(
          async () =>
            (
              await db!.query<{ id: string }>(
                "SELECT id FROM events WHERE type = 'reservation_notice' AND data->>'reservationId' = ANY($1)",
                [reservationIds],
              )
            ).rowCount,
          { timeout: 15_000 },
        )
        .toBe(reservationIds.length);
      const notices = await db!.query<{ key: string; n: string }>(
        "SELECT data->>'reservationId' || '#' || (data->>'step') AS key, count(*) AS n FROM events WHERE type = 'reservation_notice' GROUP BY 1",
      );
      const escalations = await db!.query<{ key: string; n: string }>(
        "SELECT data->>'alertId' || '#' || (data->>'step') AS key, count(*) AS n FROM events WHERE type = 'alert_escalated' GROUP BY 1",
      );
      expect([...notices.rows, ...escalations.rows].filter((r) => Number(r.n) !== 1)).toEqual([]);
      const noticeKeys = notices.rows.map((r) => r.key).sort();
      const escalationKeys = new Set(escalations.rows.map((r) => r.key));
      for (const watch of sockets) {
        expect([...watch.notices].sort()).toEqual(noticeKeys);
        expect(repeated(watch.escalations)).toEqual([]);
        expect(watch.escalations.filter((key) => !escalationKeys.has(key))).toEqual([]);
      }
      console.info('three nodes, node B killed:', {
        machinesOnBAtKill: onB,
        generated: generated.size,
        stored: events.rowCount,
        loansAndReturns,
        escalations: escalations.rowCount,
        notices: notices.rowCount,
        pushesReceived: sockets.map((s) => s.pushCount),
        escalationsPushed: sockets.map((s) => s.escalations.length),
      });
    }, 240_000);
  },
);
