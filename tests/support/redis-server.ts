import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real Redis server of its own: Debian's `redis-server` on a free loopback port, in a temporary
 * directory, with no persistence (`--save '' --appendonly no`), in a process group of its own so
 * `stop()` ends it whatever happened. CI installs the package (.ci/run); REDIS_SERVER points
 * elsewhere. Free of vitest, so the benchmarks start it too; tests use `useRedis` (./redis.ts).
 */

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Ends the server (its data goes with it: nothing is saved): a Redis outage. */
  stopServer(): Promise<void>;
  /** Starts an empty server again on the same port. */
  startServer(): Promise<void>;
}

export interface RedisServer extends TestRedis {
  /** The server's pid while it runs (for its CPU time in /proc). */
  pid(): number | undefined;
  /** Ends the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Spawns the server and resolves once it accepts connections; rejects with its output if it exits. */
function spawnServer(dir: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  // detached: the server leads a process group of its own, which the stop ends as a whole.
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  return new Promise<ChildProcess>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output.slice(-2_000)}`)));
  });
}

async function killGroup(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (const target of [-child.pid, child.pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone, or not a group leader: the other target covers it.
    }
  }
  await exited;
}

/** Starts a Redis server; fails with the reason when the binary is missing. */
export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new Error(`Redis is required: ${REDIS_SERVER} not found (apt-get install redis-server)`);
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  // A free port can be taken between finding it and binding it: try a few.
  for (let attempt = 1; child === undefined; attempt += 1) {
    port = await freePort();
    try {
      child = await spawnServer(dir, port);
    } catch (error) {
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    stopServer: async () => {
      await killGroup(child);
    },
    startServer: async () => {
      child = await spawnServer(dir, port);
    },
    stop: () =>
      (stopping ??= (async () => {
        await killGroup(child);
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}
