import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';
import { type Foundation, openFoundation } from '../../platform/foundation.js';
import { startMessaging } from '../../platform/messaging.js';
import { type Services, startServices } from '../../platform/services.js';
import { openStorage } from '../../platform/storage.js';
import { buildStage, Stops } from '../../platform/stops.js';

const silent = pino({ level: 'silent' });

describe('stops', () => {
  test('run in the reverse of the order they were deferred, and a failing one does not stop the rest', async () => {
    const order: string[] = [];
    const stops = new Stops(silent);
    stops.defer(() => void order.push('first'));
    stops.defer(() => {
      throw new Error('cannot close');
    });
    stops.defer(async () => void order.push('last'));
    await stops.stop();
    expect(order).toEqual(['last', 'first']);
    await stops.stop();
    expect(order).toEqual(['last', 'first']);
  });

  test('a stage that fails half-way stops what it had started before the error goes on', async () => {
    const stopped: string[] = [];
    const failing = buildStage(silent, (stops) => {
      stops.defer(() => void stopped.push('store'));
      throw new Error('broker port taken');
    });
    await expect(failing).rejects.toThrow('broker port taken');
    expect(stopped).toEqual(['store']);
  });
});

describe('the platform stages, each on its own', () => {
  let dataDir: string;
  let foundation: Foundation;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-stages-'));
    foundation = await openFoundation(
      parseConfig({
        ...LOOPBACK_SETTINGS,
        DATA_DIR: dataDir,
        FLEET_ADMIN_PASSWORD: 'admin-password-for-tests',
        PASSWORD_SCRYPT_N: '16384',
      }),
      silent,
    );
  });
  afterEach(async () => {
    await foundation.registry.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('storage opens the SQLite stores in the data directory, with the first admin, and closes them', async () => {
    const storage = await openStorage({ foundation, influx: undefined, hasNotifications: false, now: Date.now });
    try {
      expect(storage.sqliteStore).toBe(storage.store);
      expect(storage.spool).not.toBeNull();
      expect(storage.outbox).toBeNull();
      expect((await storage.auth.users.get('admin'))?.role).toBe('admin');
      expect(existsSync(join(dataDir, 'users.sqlite'))).toBe(true);
      expect(existsSync(join(dataDir, 'reports.sqlite'))).toBe(true);
    } finally {
      await storage.stop();
    }
    await expect(storage.auth.users.count()).rejects.toThrow();
  });

  test('messaging starts the embedded broker, reports its health, and the collector reaches it in-process', async () => {
    const messaging = await startMessaging({ foundation, isEmbedded: true });
    try {
      expect(messaging.broker).not.toBeNull();
      expect(messaging.collectorLink).toHaveProperty('localBroker');
      expect(messaging.mqttUrl).toBe(`mqtt://127.0.0.1:${messaging.broker!.port}`);
      expect(messaging.brokerHealth()).toMatchObject({ state: 'ok', connectedKiosks: 0 });
    } finally {
      await messaging.stop();
    }
  });

  test('a refusal made before the collector started is dead-lettered once it starts, at the time it was made', async () => {
    const refusedAtMs = Date.parse('2026-03-01T08:00:00Z');
    const storage = await openStorage({ foundation, influx: undefined, hasNotifications: false, now: Date.now });
    const messaging = await startMessaging({ foundation, isEmbedded: true, now: () => refusedAtMs });
    let services: Services | undefined;
    try {
      const client = mqtt.connect(messaging.mqttUrl, {
        clientId: 'K-NOPE',
        username: 'K-NOPE',
        password: 'wrong',
        reconnectPeriod: 0,
      });
      client.on('error', () => undefined);
      await expect.poll(() => messaging.broker!.stats().rejectionsByReason.bad_credentials).toBe(1);
      client.end(true);

      services = await startServices({ foundation, storage, messaging, notifyConfig: null });
      await expect
        .poll(async () => (await storage.store.readDeadLetters()).map((d) => [d.reason, d.kioskId, d.receivedMs]))
        .toEqual([['bad_credentials', 'K-NOPE', refusedAtMs]]);
    } finally {
      await services?.stop();
      await messaging.stop();
      await storage.stop();
    }
  });

  test('with MQTT_URL, messaging starts no broker and the collector signs in with the given credentials', async () => {
    const config = parseConfig({
      ...LOOPBACK_SETTINGS,
      DATA_DIR: dataDir,
      MQTT_URL: 'mqtt://127.0.0.1:1',
      MQTT_USERNAME: 'collector-user',
      MQTT_PASSWORD: 'collector-password',
    });
    const messaging = await startMessaging({
      foundation: { ...foundation, config },
      isEmbedded: false,
    });
    try {
      expect(messaging.broker).toBeNull();
      expect(messaging.collectorLink).toEqual({
        mqttUrl: 'mqtt://127.0.0.1:1',
        username: 'collector-user',
        password: 'collector-password',
      });
      expect(messaging.brokerHealth().state).toBe('external');
    } finally {
      await messaging.stop();
    }
  });
});
