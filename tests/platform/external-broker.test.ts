import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Debian's Mosquitto on a free loopback port, anonymous, with no queue limit for the collector. */
async function startMosquitto(dir: string): Promise<{ url: string; process: ChildProcess }> {
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

// CI installs Debian's mosquitto (.ci/run); elsewhere the test runs when it is present.
describe.skipIf(!existsSync(MOSQUITTO) && !process.env.CI)('against an external broker (Debian Mosquitto)', () => {
  let dir: string;
  let mosquitto: { url: string; process: ChildProcess };
  let t: TestPlatform;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-mosquitto-'));
    mosquitto = await startMosquitto(dir);
    t = await startTestPlatform({
      MQTT_URL: mosquitto.url,
      SIM_KIOSKS: '5',
      SIM_START: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      SIM_SPEED: '50000',
    });
  });
  afterAll(async () => {
    await t?.stop();
    mosquitto?.process.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  test('the simulated fleet and the collector work through Mosquitto: machines online, events stored and acked', async () => {
    expect(t.platform.broker).toBeNull();
    const online = async () =>
      (await t.get<{ kiosks: { connection: string }[] }>('/api/v1/kiosks?connection=online')).body.kiosks.length;
    await expect.poll(online, { timeout: 15_000 }).toBe(5);
    await expect
      .poll(async () => (await t.get<{ events: unknown[] }>('/api/v1/events?type=loan,return&limit=50')).body.events.length, {
        timeout: 15_000,
      })
      .toBeGreaterThan(10);
    // Acks travel back through Mosquitto: the machines' outboxes empty once the backlog is generated.
    await expect.poll(() => t.platform.simulator!.pendingCount(), { timeout: 20_000 }).toBe(0);
    const health = await t.get<{ components: { broker: { state: string } } }>('/api/v1/health');
    expect(health.body.components.broker.state).toBe('external');
  });
});
