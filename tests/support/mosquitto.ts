import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Debian's Mosquitto; CI installs it (.ci/run). */
export const MOSQUITTO = '/usr/sbin/mosquitto';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Debian's Mosquitto on a free loopback port, anonymous, with no queue limit for the collector. */
export async function startMosquitto(dir: string): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // max_queued_messages 0: Mosquitto's default (1,000) silently drops QoS 1 beyond it (mosquitto.conf(5), max_queued_messages).
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('running')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}`)));
  });
  return { url: `mqtt://127.0.0.1:${port}`, process: child };
}
