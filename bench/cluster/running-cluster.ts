/**
 * The parts of a cluster under test: one PostgreSQL server and one Redis (started once per bench),
 * and per configuration a fresh database, an emptied Redis, the machines provisioned in the shared
 * registry, N nodes and HAProxy in front of them. `close()` ends everything started, even after a
 * failure half way.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createLogger } from '../../cli/logger.js';
import { parseConfig } from '../../config/config.js';
import { openAuth } from '../../dashboard/auth/auth-service.js';
import { openPostgresAuditLog } from '../../dashboard/auth/postgres-audit-log.js';
import { openPostgresAuthStore } from '../../dashboard/auth/postgres-auth-store.js';
import type { Role } from '../../dashboard/auth/roles.js';
import { openFoundation } from '../../platform/index.js';
import { type PostgresCluster, startPostgresCluster } from '../../tests/support/postgres-server.js';
import { type RedisServer, startRedisServer } from '../../tests/support/redis-server.js';
import { freePort, startHaproxy } from '../../tests/support/haproxy.js';
import type { MachineCredentials } from '../ipc.js';
import { writeHaproxyConfig } from './haproxy-config.js';
import { type ClusterNode, startNode } from './node-process.js';

export interface Engines {
  postgres: PostgresCluster;
  redis: RedisServer;
  close(): Promise<void>;
}

/** PostgreSQL with fsync on (every ack follows a durable commit, as with SQLite FULL) and Redis. */
export async function startEngines(): Promise<Engines> {
  const postgres = await startPostgresCluster({ durable: true });
  try {
    const redis = await startRedisServer();
    return {
      postgres,
      redis,
      close: async () => {
        await redis.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}

export interface RunningCluster {
  nodes: ClusterNode[];
  databaseUrl: string;
  machines: MachineCredentials[];
  /** Through (the first) HAProxy. */
  mqttUrl: string;
  /** One per HAProxy process: more than one only when one cannot hold every machine's connection. */
  mqttUrls: string[];
  httpUrl: string;
  /** Integration tokens: `operator` for socket.io, `metrics` for the nodes' health and metrics. */
  tokens: { operator: string; metrics: string };
  haproxyPids: (number | undefined)[];
  /** Loan and return rows in the shared history: all, and distinct ids. */
  countStored(): Promise<{ rows: number; distinct: number }>;
  close(): Promise<void>;
}

export interface ClusterSettings {
  nodeCount: number;
  machineCount: number;
  idPrefix: string;
  /** The HAProxy configuration to build on (docs/haproxy.cfg unless `--haproxy-config`). */
  haproxyConfig: string;
  /** Log a line of progress. */
  log(line: string): void;
}

/** The hard limit of open files of this process (HAProxy's, which it inherits), from /proc. */
function openFilesLimit(): number {
  try {
    const line = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const limit = Number(line?.[1]);
    return Number.isFinite(limit) ? limit : 1_048_576;
  } catch {
    return 1_048_576;
  }
}

async function provision(config: ReturnType<typeof parseConfig>, count: number, prefix: string): Promise<MachineCredentials[]> {
  const foundation = await openFoundation(config, createLogger('silent'));
  try {
    const width = String(count).length;
    const provisioned = await foundation.registry.provisionMissing(
      Array.from({ length: count }, (_, i) => ({
        id: `${prefix}-${String(i + 1).padStart(width, '0')}`,
        name: `Cluster bench machine ${i + 1}`,
        district: `District ${(i % 20) + 1}`,
        lat: 39.9 + (i % 100) / 1000,
        lon: 116.4 + Math.floor(i / 100) / 10000,
      })),
    );
    return provisioned.map((p) => ({ id: p.kiosk.id, token: p.token }));
  } finally {
    await foundation.registry.close();
  }
}

async function issueToken(url: string, role: Role): Promise<string> {
  const sessions = { idleMs: 60_000, absoluteMs: 60_000 };
  const audit = await openPostgresAuditLog({ url });
  const store = await openPostgresAuthStore({ url, now: Date.now, sessions });
  const auth = openAuth({ store, audit, now: Date.now, sessions });
  try {
    return (await auth.tokens.issue({ name: `cluster bench ${role}`, role, createdBy: 'bench' })).secret;
  } finally {
    await auth.close();
    await audit.close();
  }
}

/** Every cluster being started or running, for an interrupted bench to end them all. */
const openClusters = new Set<() => Promise<void>>();

/** Ends every cluster still open (nodes, HAProxy, database): on Ctrl-C, before the engines go. */
export async function closeOpenClusters(): Promise<void> {
  await Promise.all([...openClusters].map((close) => close()));
}

export async function startCluster(engines: Engines, settings: ClusterSettings): Promise<RunningCluster> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    openClusters.delete(close);
    // Taken at once: a second call (an interrupt during a normal close) finds nothing left to do.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  openClusters.add(close);
  try {
    const database = await engines.postgres.createDatabase();
    cleanups.push(() => database.drop());
    const redis = new Redis(engines.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    await redis.flushall();
    redis.disconnect();

    const benchDir = await mkdtemp(join(os.tmpdir(), 'kiosk-fleet-bench-cluster-'));
    cleanups.push(() => rm(benchDir, { recursive: true, force: true }));
    const config = parseConfig({ DATA_DIR: benchDir, DATABASE_URL: database.url, SIM_KIOSKS: '0' });
    const t0 = Date.now();
    const machines = await provision(config, settings.machineCount, settings.idPrefix);
    const tokens = { operator: await issueToken(database.url, 'operator'), metrics: await issueToken(database.url, 'metrics') };
    settings.log(`  provisioned ${machines.length} machines in PostgreSQL in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The first node migrates the empty database; the others then start together.
    const nodes: ClusterNode[] = [];
    cleanups.push(async () => void (await Promise.all(nodes.map((n) => n.stop()))));
    const startOne = async (i: number) => {
      const node = await startNode({
        name: `node${i + 1}`,
        httpPort: await freePort(),
        mqttPort: await freePort(),
        databaseUrl: database.url,
        redisUrl: engines.redis.url,
        maxConnections: settings.machineCount + 1_000,
      });
      nodes[i] = node;
    };
    await startOne(0);
    await Promise.all(Array.from({ length: settings.nodeCount - 1 }, (_, i) => startOne(i + 1)));

    // One HAProxy holds two descriptors per machine (its side and the node's); where the limit of
    // open files cannot hold them all (20,000 here, and no CAP_SYS_RESOURCE to raise it), several
    // run side by side, as two behind a floating address would, each with a share of the machines.
    const haproxyCount = Math.max(1, Math.ceil((2 * (settings.machineCount + 500)) / (openFilesLimit() - 1_000)));
    const perHaproxy = Math.ceil(settings.machineCount / haproxyCount);
    const haproxies: { mqttPort: number; httpPort: number; pid: number | undefined }[] = [];
    const configFile = await writeHaproxyConfig(benchDir, nodes, settings.haproxyConfig);
    for (let h = 0; h < haproxyCount; h++) {
      const mqttPort = await freePort();
      const httpPort = await freePort();
      const haproxy = await startHaproxy(
        configFile,
        {
          HAPROXY_BIND: '127.0.0.1',
          HAPROXY_MQTT_PORT: String(mqttPort),
          HAPROXY_HTTP_PORT: String(httpPort),
          HAPROXY_MAXCONN: String(perHaproxy + 500),
        },
        mqttPort,
      );
      cleanups.push(() => haproxy.stop());
      haproxies.push({ mqttPort, httpPort, pid: haproxy.pid });
    }
    const { mqttPort, httpPort } = haproxies[0]!;
    settings.log(
      `  ${nodes.length} node${nodes.length > 1 ? 's' : ''} (pids ${nodes.map((n) => n.pid).join(', ')}) behind ${haproxyCount > 1 ? `${haproxyCount} HAProxy processes, the first at` : 'HAProxy'} ` +
        `mqtt://127.0.0.1:${mqttPort}, http://127.0.0.1:${httpPort}`,
    );

    const countStored = async () => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string; d: string }>(
          `SELECT count(*) AS n, count(DISTINCT id) AS d FROM events WHERE type IN ('loan', 'return')`,
        );
        return { rows: Number(rows[0]!.n), distinct: Number(rows[0]!.d) };
      } finally {
        await client.end();
      }
    };
    return {
      nodes,
      databaseUrl: database.url,
      machines,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      mqttUrls: haproxies.map((h) => `mqtt://127.0.0.1:${h.mqttPort}`),
      httpUrl: `http://127.0.0.1:${httpPort}`,
      tokens,
      haproxyPids: haproxies.map((h) => h.pid),
      countStored,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
