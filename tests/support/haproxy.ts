import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

/** Debian's HAProxy; CI installs it (.ci/run). HAPROXY points elsewhere. */
export const HAPROXY = process.env.HAPROXY ?? '/usr/sbin/haproxy';

/** Only when the binary is missing outside CI; in CI a missing binary fails the suite. */
export const skipWithoutHaproxy = !existsSync(HAPROXY) && !process.env.CI;
if (skipWithoutHaproxy) console.warn(`HAProxy tests skipped: ${HAPROXY} not found (apt-get install haproxy)`);

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RunningHaproxy {
  /** HAProxy's pid (for its CPU time in /proc). */
  readonly pid: number | undefined;
  /** Ends HAProxy and its process group; safe to call twice. */
  stop(): Promise<void>;
}

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs HAProxy in the foreground on a configuration file (the example in docs/), its addresses
 * and ports given through the environment, until `waitPort` accepts connections.
 */
export async function startHaproxy(configFile: string, env: Record<string, string>, waitPort: number): Promise<RunningHaproxy> {
  if (!existsSync(HAPROXY)) throw new Error(`HAProxy is required: ${HAPROXY} not found (apt-get install haproxy)`);
  // -db: stay in the foreground; detached: its own process group, ended as a whole.
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', configFile], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        for (const target of [-child.pid, child.pid]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // Already gone, or not a group leader: the other target covers it.
          }
        }
        await exited;
      }
    })());
  const deadline = Date.now() + 10_000;
  while (!(await isListening(waitPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`HAProxy did not start:\n${output.slice(-2_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { pid: child.pid, stop };
}
