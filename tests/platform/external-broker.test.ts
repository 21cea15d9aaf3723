import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MOSQUITTO, startMosquitto } from '../support/mosquitto.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

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
