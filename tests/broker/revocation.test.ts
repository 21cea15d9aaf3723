import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { type Foundation, openFoundation, startEmbeddedBroker } from '../../platform/index.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { closeOf } from './harness.js';

const KIOSK = 'CY-007';

/** The platform's own wiring: registry file, secrets, and the broker the platform starts. */
describe('a machine whose credentials change while it is connected', () => {
  let dataDir: string;
  let foundation: Foundation;
  let broker: RunningBroker;
  let token: string;
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-revocation-'));
    foundation = await openFoundation(parseConfig({ ...LOOPBACK_SETTINGS, DATA_DIR: dataDir }), pino({ level: 'silent' }));
    token = (await foundation.registry.provision({ id: KIOSK, name: 'Test', district: 'Test', lat: 39.9, lon: 116.4 })).token;
    broker = await startEmbeddedBroker(foundation);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
    await broker.stop();
    foundation.registry.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function connect(password: string): Promise<MqttClient> {
    const client = await connectAsync(
      `mqtt://127.0.0.1:${broker.port}`,
      { clientId: KIOSK, username: KIOSK, password, reconnectPeriod: 0, connectTimeout: 5_000 },
      false,
    );
    clients.push(client);
    return client;
  }

  async function disconnectDelayMs(client: MqttClient, act: () => void): Promise<number> {
    const closed = closeOf(client);
    const t0 = performance.now();
    act();
    await closed;
    return performance.now() - t0;
  }

  test('revoked: it is disconnected within 1 s and cannot connect again', async () => {
    const client = await connect(token);
    expect(broker.isKioskConnected(KIOSK)).toBe(true);

    const delayMs = await disconnectDelayMs(client, () => foundation.registry.revoke(KIOSK));
    expect(delayMs).toBeLessThan(1_000);
    expect(broker.isKioskConnected(KIOSK)).toBe(false);
    await expect(connect(token)).rejects.toMatchObject({ code: 4 });
    expect(broker.stats().rejectionsByReason.bad_credentials).toBe(1);
  });

  test('rotated: the connection on the old token is closed within 1 s; only the new token connects', async () => {
    const client = await connect(token);
    let fresh = '';
    const delayMs = await disconnectDelayMs(client, async () => (fresh = await foundation.registry.rotateToken(KIOSK)));
    expect(delayMs).toBeLessThan(1_000);
    await expect(connect(token)).rejects.toMatchObject({ code: 4 });
    const again = await connect(fresh);
    expect(again.connected).toBe(true);
    expect(broker.isKioskConnected(KIOSK)).toBe(true);
  });

  test('a connection whose token was checked just before a revocation is closed as its session registers', async () => {
    await broker.stop();
    // The revocation lands between the token check and aedes registering the session.
    broker = await startBroker({
      topics: foundation.topics,
      port: 0,
      verifyKioskToken: (id, presented) => {
        const isValid = foundation.registry.verifyToken(id, presented);
        foundation.registry.revoke(id);
        return isValid;
      },
      verifyServiceToken: () => false,
      watchCredentials: (listener) => foundation.registry.onCredentialsChanged(listener),
      logger: pino({ level: 'silent' }),
    });
    const client = await connect(token).catch(() => null);
    if (client !== null) await Promise.race([closeOf(client), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    expect(broker.isKioskConnected(KIOSK)).toBe(false);
    expect(broker.stats().connectedKiosks).toBe(0);
  });

  test('another machine’s change leaves this one connected', async () => {
    foundation.registry.provision({ id: 'CY-008', name: 'Other', district: 'Test', lat: 39.9, lon: 116.4 });
    const client = await connect(token);
    foundation.registry.revoke('CY-008');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.connected).toBe(true);
  });
});

describe('POST /api/v1/kiosks/:id/revoke', () => {
  let t: TestPlatform;
  beforeEach(async () => {
    t = await startTestPlatform();
  });
  afterEach(async () => {
    await t.stop();
  });

  test('an admin revokes a connected machine: it is dropped within 1 s and refused after; a new token lets it back', async () => {
    const token = await t.provision('CY-020');
    const kiosk = await t.connectKiosk('CY-020', token);
    const admin = await t.bearer('admin');

    const closed = closeOf(kiosk);
    const t0 = performance.now();
    const answer = await admin.post('/api/v1/kiosks/CY-020/revoke');
    await closed;
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(answer).toMatchObject({ status: 200, body: { kioskId: 'CY-020', revoked: true } });
    await expect(t.connectKiosk('CY-020', token)).rejects.toMatchObject({ code: 4 });

    const rotated = await admin.post<{ mqtt: { password: string } }>('/api/v1/kiosks/CY-020/token');
    const back = await t.connectKiosk('CY-020', rotated.body.mqtt.password);
    expect(back.connected).toBe(true);
  });

  test('an unknown machine is 404 KIOSK_NOT_FOUND, a malformed id 400', async () => {
    const admin = await t.bearer('admin');
    expect(await admin.post('/api/v1/kiosks/CY-404/revoke')).toMatchObject({
      status: 404,
      body: { error: { code: 'KIOSK_NOT_FOUND' } },
    });
    expect((await admin.post('/api/v1/kiosks/not%20an%20id/revoke')).status).toBe(400);
  });
});
