import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { connectSilentMachine, healthClient, status } from './health-client.js';

const KEEPALIVE_SEC = 1;
/** MQTT 3.1.1 §3.1.2.10: the server disconnects a client silent for 1.5 × its keepalive. */
const KEEPALIVE_LIMIT_MS = 1.5 * KEEPALIVE_SEC * 1000;
/** The will's way through the collector (its 200 ms takeover hold in tests), the store and fleet health, with room for a busy CI box. */
const MARGIN_MS = 1_000;

describe('a machine whose connection drops without DISCONNECT', () => {
  let t: TestPlatform;
  let api: ReturnType<typeof healthClient>;
  beforeAll(async () => {
    // Silence detection far off: only the broker's keepalive and the will can mark these offline.
    t = await startTestPlatform({ OFFLINE_AFTER_MS: '600000' });
    api = healthClient(t);
  });
  afterAll(async () => t?.stop());

  test('when its socket is destroyed, it is offline within 1.5 × its keepalive', async () => {
    const token = await t.provision('K-DROP');
    const client = await t.connectKiosk('K-DROP', token, {
      keepalive: KEEPALIVE_SEC,
      will: { topic: 'kiosks/K-DROP/status', payload: Buffer.from(status('offline', 'b1')), qos: 1, retain: true },
    });
    await client.publishAsync('kiosks/K-DROP/status', status('online', 'b1'), { qos: 1, retain: true });
    await expect.poll(() => api.serviceState('K-DROP')).toBe('in_service');

    const droppedMs = Date.now();
    client.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await expect
      .poll(() => api.serviceState('K-DROP'), { timeout: KEEPALIVE_LIMIT_MS + MARGIN_MS, interval: 50 })
      .toBe('offline');
    expect(Date.now() - droppedMs).toBeLessThanOrEqual(KEEPALIVE_LIMIT_MS + MARGIN_MS);
    const alerts = await t.get<{ alerts: { kioskId: string; component: string; state: string }[] }>(
      '/api/v1/alerts?kiosk=K-DROP&state=open',
    );
    expect(alerts.body.alerts).toMatchObject([{ kioskId: 'K-DROP', component: 'connection', state: 'open' }]);
  });

  test('when its link goes half-open (no packet, no close), the keepalive marks it offline within 1.5 × keepalive', async () => {
    const token = await t.provision('K-HALF');
    const port = Number(new URL(t.mqttUrl).port);
    const machine = await connectSilentMachine({ port, kioskId: 'K-HALF', token, keepaliveSec: KEEPALIVE_SEC, bootId: 'h1' });
    try {
      await expect.poll(() => api.serviceState('K-HALF'), { interval: 50 }).toBe('in_service');
      await expect
        .poll(() => api.serviceState('K-HALF'), { timeout: KEEPALIVE_LIMIT_MS + MARGIN_MS, interval: 50 })
        .toBe('offline');
      const elapsedMs = Date.now() - machine.lastPacketMs;
      expect(elapsedMs).toBeLessThanOrEqual(KEEPALIVE_LIMIT_MS + MARGIN_MS);
      // It was the keepalive, not the socket closing: not before a keepalive had passed.
      expect(elapsedMs).toBeGreaterThanOrEqual(KEEPALIVE_SEC * 1000);
      const statuses = await t.get<{ events: { state: string; bootId: string }[] }>(
        '/api/v1/events?kiosk=K-HALF&type=status&order=asc',
      );
      expect(statuses.body.events.map((e) => [e.state, e.bootId])).toEqual([
        ['online', 'h1'],
        ['offline', 'h1'],
      ]);
    } finally {
      machine.socket.destroy();
    }
  });

  test('a Last Will of an earlier boot, arriving after the machine reconnected, leaves it in service', async () => {
    const token = await t.provision('K-BOOT');
    const client = await t.connectKiosk('K-BOOT', token);
    await client.publishAsync('kiosks/K-BOOT/status', status('online', 'boot2'), { qos: 1, retain: true });
    await expect.poll(() => api.serviceState('K-BOOT')).toBe('in_service');
    // The broker delivering the previous connection's will late (it is dated when received).
    await client.publishAsync('kiosks/K-BOOT/status', status('offline', 'boot1'), { qos: 1, retain: true });
    await client.publishAsync('kiosks/K-BOOT/telemetry', JSON.stringify({ ts: new Date().toISOString(), binFillPercent: 10 }), {
      qos: 0,
    });
    await expect
      .poll(async () => (await t.get<{ events: unknown[] }>('/api/v1/events?kiosk=K-BOOT&type=status')).body.events.length)
      .toBe(2);
    expect(await api.serviceState('K-BOOT')).toBe('in_service');
  });
});

describe('a machine that falls silent', () => {
  let t: TestPlatform;
  let api: ReturnType<typeof healthClient>;
  beforeAll(async () => {
    t = await startTestPlatform({ OFFLINE_AFTER_MS: '1000' });
    api = healthClient(t);
  });
  afterAll(async () => t?.stop());

  test('a machine online but silent past OFFLINE_AFTER_MS is offline, and in service again once heard', async () => {
    const token = await t.provision('K-QUIET');
    const client = await t.connectKiosk('K-QUIET', token, { keepalive: 30 });
    await client.publishAsync('kiosks/K-QUIET/status', status('online', 'q1'), { qos: 1, retain: true });
    await expect.poll(() => api.serviceState('K-QUIET')).toBe('in_service');
    await expect.poll(() => api.serviceState('K-QUIET'), { timeout: 5_000, interval: 100 }).toBe('offline');

    await client.publishAsync('kiosks/K-QUIET/telemetry', JSON.stringify({ ts: new Date().toISOString(), paperPercent: 80 }), {
      qos: 0,
    });
    await expect.poll(() => api.serviceState('K-QUIET'), { interval: 50 }).toBe('in_service');
    const events = await t.get<{ events: { type: string }[] }>(
      '/api/v1/events?kiosk=K-QUIET&type=kiosk_silent,kiosk_heard&order=asc',
    );
    expect(events.body.events.map((e) => e.type)).toEqual(['kiosk_silent', 'kiosk_heard']);
    const alerts = await t.get<{ alerts: { component: string; resolved: { reason: string } | null }[] }>(
      '/api/v1/alerts?kiosk=K-QUIET',
    );
    expect(alerts.body.alerts).toMatchObject([{ component: 'connection', resolved: { reason: 'back_online' } }]);
  });
});
