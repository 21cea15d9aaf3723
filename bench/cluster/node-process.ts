/**
 * One platform node of the cluster bench: `kiosk-fleet start` (from the TypeScript sources) in a
 * process group of its own, with its own DATA_DIR and ports, so it can be killed with SIGKILL as a
 * whole (a node that dies) and is always ended when the bench ends, whatever failed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface NodeSettings {
  name: string;
  httpPort: number;
  mqttPort: number;
  databaseUrl: string;
  redisUrl: string;
  /** Connections the node's broker accepts (machines plus room). */
  maxConnections: number;
}

export interface ClusterNode {
  readonly name: string;
  readonly pid: number;
  readonly httpPort: number;
  readonly mqttPort: number;
  /** SIGKILL to the node's whole process group: the node dies as a host would. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 20 s; removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
  isAlive(): boolean;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  for (const target of [-child.pid, child.pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // Not a group leader, or already gone: try the process itself.
    }
  }
}

/** Starts the node and resolves once its HTTP health answers; ends it again if it does not start. */
export async function startNode(settings: NodeSettings): Promise<ClusterNode> {
  const dataDir = await mkdtemp(join(os.tmpdir(), `kiosk-fleet-bench-${settings.name}-`));
  const log = createWriteStream(join(dataDir, 'node.log'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(settings.httpPort),
      MQTT_PORT: String(settings.mqttPort),
      MQTT_WS_PORT: 'off',
      DATA_DIR: dataDir,
      SIM_KIOSKS: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: settings.databaseUrl,
      CLUSTER_REDIS_URL: settings.redisUrl,
      // Every node runs on this one host: each needs its own name in the platform's markers.
      NODE_NAME: `bench-${settings.name}`,
      // Behind HAProxy: every connection opens with its PROXY v2 header.
      MQTT_PROXY_PROTOCOL: 'on',
      // Every bench machine comes from 127.0.0.1 and publishes far faster than a kiosk.
      CONNECT_RATE_PER_ADDRESS: '0',
      PUBLISH_RATE_PER_KIOSK: '0',
      MAX_CONNECTIONS: String(settings.maxConnections),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = once(child, 'exit');
  let stopping: Promise<void> | undefined;
  const isAlive = () => child.exitCode === null && child.signalCode === null;
  const node: ClusterNode = {
    name: settings.name,
    pid: child.pid!,
    httpPort: settings.httpPort,
    mqttPort: settings.mqttPort,
    isAlive,
    async kill() {
      if (!isAlive()) return;
      signalGroup(child, 'SIGKILL');
      await exited;
    },
    stop: () =>
      (stopping ??= (async () => {
        if (isAlive()) {
          signalGroup(child, 'SIGTERM');
          const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 20_000);
          await exited;
          clearTimeout(timer);
        }
        // A worker or a child that outlived the node's main process still belongs to its group.
        signalGroup(child, 'SIGKILL');
        log.end();
        await rm(dataDir, { recursive: true, force: true });
      })()),
  };
  /** The node's last log lines, read before `stop()` removes its directory. */
  const logTail = () => {
    try {
      return readFileSync(join(dataDir, 'node.log'), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!isAlive()) {
      const tail = logTail();
      await node.stop();
      throw new Error(`${settings.name} exited while starting (${child.exitCode ?? child.signalCode}):\n${tail}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${settings.httpPort}/api/v1/health/live`)).ok) return node;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      const tail = logTail();
      await node.stop();
      throw new Error(`${settings.name} did not answer its health within 120 s:\n${tail}`);
    }
    await sleep(200);
  }
}
