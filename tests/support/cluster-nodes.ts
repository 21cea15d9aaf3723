import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS, LOOPBACK_SETTINGS } from '../../config/config.js';
import { freePort, startHaproxy } from './haproxy.js';

/**
 * Whole platform nodes as child processes (`kiosk-fleet start`, as deployed), sharing one
 * PostgreSQL and one Redis, with HAProxy in front: what a test needs to kill one with SIGKILL.
 * Each node has its own data directory and its own process group; every port is 0 and read back
 * from the node's `platform running` line, so nothing races for a port.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HAPROXY_CFG = join(PROJECT_ROOT, 'docs/haproxy.cfg');
/** Lines of a node's output kept to say why it failed. */
const KEPT_LINES = 200;

export interface ClusterNode {
  readonly name: string;
  readonly pid: number;
  /** `http://127.0.0.1:PORT`: the node's dashboard and API, bypassing HAProxy. */
  readonly baseUrl: string;
  readonly httpPort: number;
  /** The node's MQTT port: it expects a PROXY v2 header first (MQTT_PROXY_PROTOCOL=on). */
  readonly mqttPort: number;
  /** The node's last output lines (JSON log lines and stderr). */
  readonly output: readonly string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** `kill -9` of the node's whole process group; resolves once it has exited. */
  kill(): Promise<void>;
}

export interface ClusterNodeOptions {
  databaseUrl: string;
  redisUrl: string;
  /** The seeded admin's password, the same on every node (accounts are in PostgreSQL). */
  adminPassword: string;
  /** Further settings for every node. */
  env?: Record<string, string>;
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILL to the group the child leads (it was spawned detached), then to the child itself. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || !isRunning(child)) return;
  const exited = once(child, 'exit');
  for (const target of [-child.pid, child.pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone, or not a group leader: the other target covers it.
    }
  }
  await exited;
}

/** The settings of a node: the loopback defaults, nothing inherited from the test's environment. */
function nodeEnvironment(name: string, dataDir: string, options: ClusterNodeOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of CONFIG_KEYS) delete env[key];
  return {
    ...env,
    ...LOOPBACK_SETTINGS,
    // The ready line is logged at info.
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl,
    CLUSTER_REDIS_URL: options.redisUrl,
    // All nodes share this host's name: each needs its own in the platform's markers.
    NODE_NAME: name,
    MQTT_PROXY_PROTOCOL: 'on',
    FLEET_ADMIN_PASSWORD: options.adminPassword,
    PASSWORD_SCRYPT_N: '16384',
    ...options.env,
  };
}

/** Starts one node and resolves with its ports once it logs `platform running`. */
async function startNode(name: string, dataDir: string, options: ClusterNodeOptions, track: (child: ChildProcess) => void) {
  // detached: the node leads a process group of its own, which kill() ends as a whole.
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start'], {
    cwd: PROJECT_ROOT,
    env: nodeEnvironment(name, dataDir, options),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(child);
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > KEPT_LINES) output.shift();
  };
  // Both pipes are always read: a node blocked on a full pipe would look like a hung node.
  createInterface({ input: child.stderr! }).on('line', keep);
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ports = await new Promise<{ httpPort: number; mqttPort: number }>((resolve, reject) => {
    lines.on('line', (line) => {
      keep(line);
      if (!line.includes('"platform running"')) return;
      const entry = JSON.parse(line) as { dashboard?: string; mqtt?: string };
      resolve({ httpPort: Number(new URL(entry.dashboard ?? '').port), mqttPort: Number(new URL(entry.mqtt ?? '').port) });
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`node ${name} exited before it was ready (${code ?? signal}):\n${output.slice(-20).join('\n')}`)),
    );
  });
  return {
    name,
    pid: child.pid!,
    baseUrl: `http://127.0.0.1:${ports.httpPort}`,
    ...ports,
    output,
    exited,
    kill: () => killGroup(child),
  } satisfies ClusterNode;
}

export interface RunningCluster {
  readonly nodes: readonly ClusterNode[];
  /** Ends every node's process group and removes their data directories; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `count` nodes at once (they migrate the empty database together, as nodes of a real
 * deployment may) on one PostgreSQL database and one Redis. If one fails to start, the others
 * are ended before the error is thrown.
 */
export async function startClusterNodes(count: number, options: ClusterNodeOptions): Promise<RunningCluster> {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(children.map(killGroup));
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    })());
  try {
    const nodes = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const dir = await mkdtemp(join(tmpdir(), `kiosk-fleet-node${i + 1}-`));
        dirs.push(dir);
        return startNode(`node${i + 1}`, dir, options, (child) => children.push(child));
      }),
    );
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ClusterFront {
  /** `mqtt://127.0.0.1:PORT`: HAProxy's MQTT frontend (PROXY v2 to each node). */
  readonly mqttUrl: string;
  /** `http://127.0.0.1:PORT`: HAProxy's HTTP frontend (sticky cookie). */
  readonly httpUrl: string;
  stop(): Promise<void>;
}

/**
 * docs/haproxy.cfg with one `server` line per node: the example names two, and each further node
 * gets a copy of node2's line (as docs/cluster.md says to add a node), read from the environment.
 */
export function haproxyConfigFor(example: string, nodeCount: number): string {
  return example
    .split('\n')
    .flatMap((line) => {
      if (!/^\s*server node2 /.test(line)) return [line];
      const copies = Array.from({ length: Math.max(0, nodeCount - 2) }, (_, i) =>
        line.replaceAll('node2', `node${i + 3}`).replaceAll('NODE2_', `NODE${i + 3}_`),
      );
      return [line, ...copies];
    })
    .join('\n');
}

/** HAProxy in front of the nodes, from docs/haproxy.cfg, on free loopback ports. */
export async function startClusterFront(nodes: readonly ClusterNode[]): Promise<ClusterFront> {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-haproxy-'));
  const configFile = join(dir, 'haproxy.cfg');
  await writeFile(configFile, haproxyConfigFor(await readFile(HAPROXY_CFG, 'utf8'), nodes.length));
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const env: Record<string, string> = {
    HAPROXY_BIND: '127.0.0.1',
    // 200 machines and a few browsers; the example's default (120,000) needs more descriptors than a test machine has.
    HAPROXY_MAXCONN: '1000',
    HAPROXY_MQTT_PORT: String(mqttPort),
    HAPROXY_HTTP_PORT: String(httpPort),
  };
  nodes.forEach((node, i) => {
    env[`NODE${i + 1}_HOST`] = '127.0.0.1';
    env[`NODE${i + 1}_MQTT_PORT`] = String(node.mqttPort);
    env[`NODE${i + 1}_HTTP_PORT`] = String(node.httpPort);
  });
  try {
    const haproxy = await startHaproxy(configFile, env, mqttPort);
    return {
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      httpUrl: `http://127.0.0.1:${httpPort}`,
      async stop() {
        await haproxy.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A PROXY v2 header for a TCP/IPv4 connection, as HAProxy's send-proxy-v2 writes it. */
function proxyHeaderV2(source: net.AddressInfo, destination: net.AddressInfo): Buffer {
  const block = Buffer.alloc(12);
  source.address.split('.').forEach((octet, i) => block.writeUInt8(Number(octet), i));
  destination.address.split('.').forEach((octet, i) => block.writeUInt8(Number(octet), 4 + i));
  block.writeUInt16BE(source.port, 8);
  block.writeUInt16BE(destination.port, 10);
  // 0x21: version 2, PROXY; 0x11: TCP over IPv4; then the block's length.
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0, block.length]), block]);
}

export interface PinnedFront {
  /** `mqtt://127.0.0.1:PORT`: every connection goes to the one node. */
  readonly mqttUrl: string;
  stop(): Promise<void>;
}

/**
 * A one-node stand-in for HAProxy's MQTT frontend: a TCP relay that writes the PROXY v2 header and
 * passes bytes through to one node, so a test can place a machine on a node of its choice
 * (HAProxy's leastconn decides for itself).
 */
export async function pinToNode(node: ClusterNode): Promise<PinnedFront> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(node.mqttPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.once('connect', () => {
      const source = { address: client.remoteAddress ?? '127.0.0.1', port: client.remotePort ?? 0, family: 'IPv4' };
      upstream.write(proxyHeaderV2(source, client.address() as net.AddressInfo));
      client.pipe(upstream).pipe(client);
    });
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
