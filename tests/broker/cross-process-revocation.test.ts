import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Child, freePort, spawnCli } from '../faults/fault-harness.js';
import { type ApiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { closeOf } from './harness.js';

/**
 * `kiosk-fleet broker` in a child process; the collector and dashboard (`kiosk-fleet collector`
 * in production) in this one, on the same DATA_DIR. Revocations and rotations go through the
 * dashboard's REST API, so only the shared registry file carries them to the broker.
 */
describe('a machine whose credentials change in another process than the broker’s', () => {
  let dataDir: string;
  let broker: Child;
  let t: TestPlatform;
  let admin: ApiClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-cross-process-'));
    const mqttPort = await freePort();
    broker = await spawnCli(
      'broker',
      {
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        MQTT_WS_PORT: 'off',
        CONNECT_RATE_PER_ADDRESS: '0',
      },
      'broker running',
    );
    const { serviceToken } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { serviceToken: string };
    t = await startTestPlatform({
      DATA_DIR: dataDir,
      MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
      MQTT_USERNAME: 'collector',
      MQTT_PASSWORD: serviceToken,
    });
    admin = await t.api('admin');
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    broker?.process.kill('SIGTERM');
    await broker?.exited;
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Milliseconds from the API call to the client seeing its connection closed (failing after 5 s). */
  async function disconnectDelayMs(client: MqttClient, act: () => Promise<unknown>): Promise<number> {
    const closed = closeOf(client);
    const t0 = performance.now();
    await act();
    let timer: NodeJS.Timeout | undefined;
    const stillOpen = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the broker did not disconnect the machine within 5 s')), 5_000);
    });
    await Promise.race([closed, stillOpen]).finally(() => clearTimeout(timer));
    return performance.now() - t0;
  }

  test('revoked through the dashboard: the broker process drops it within 1 s and refuses it after', async () => {
    expect(t.platform.broker).toBeNull();
    const token = await t.provision('CY-031');
    const client = await t.connectKiosk('CY-031', token);

    const delayMs = await disconnectDelayMs(client, () => admin.post('/api/v1/kiosks/CY-031/revoke'));
    expect(delayMs).toBeLessThan(1_000);
    await expect(t.connectKiosk('CY-031', token)).rejects.toMatchObject({ code: 4 });
  });

  test('rotated through the dashboard: the old connection is dropped within 1 s; only the new token connects, and stays', async () => {
    const token = await t.provision('CY-032');
    const client = await t.connectKiosk('CY-032', token);

    let fresh = '';
    const delayMs = await disconnectDelayMs(client, async () => {
      fresh = (await admin.post<{ mqtt: { password: string } }>('/api/v1/kiosks/CY-032/token')).body.mqtt.password;
    });
    expect(delayMs).toBeLessThan(1_000);
    await expect(t.connectKiosk('CY-032', token)).rejects.toMatchObject({ code: 4 });
    const again = await t.connectKiosk('CY-032', fresh);

    // Another machine's revocation, seen by the broker, proves it has polled since: the new session
    // was not dropped by a second announcement of the rotation.
    const other = await t.connectKiosk('CY-033', await t.provision('CY-033'));
    await disconnectDelayMs(other, () => admin.post('/api/v1/kiosks/CY-033/revoke'));
    expect(again.connected).toBe(true);
  });
});
