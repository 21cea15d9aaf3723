import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { status } from '../health/health-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { MOSQUITTO, startMosquitto } from '../support/mosquitto.js';

/** Room for the new boot's online status to follow its takeover's Will on a loaded machine. */
const HOLD_MS = '2000';

interface KioskBody {
  kiosk: { connection: string; bootId: string | null; serviceState: string };
}

/**
 * A machine connected as boot 1 with a Last Will reconnects as boot 2 over a new TCP connection
 * with the same client id, as after a reboot behind a link gone half-open: the broker closes the
 * old connection and publishes boot 1's Will. A second machine whose link drops at the same
 * moment is the clock: once its Will is recorded, boot 1's Will would have been too.
 */
function takeoverSuite(
  name: string,
  start: () => Promise<{ t: TestPlatform; credentials: (id: string) => Promise<IClientOptions>; spy: () => Promise<MqttClient> }>,
) {
  describe(name, () => {
    let t: TestPlatform;
    let credentials: (id: string) => Promise<IClientOptions>;
    let openSpy: () => Promise<MqttClient>;
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      ({ t, credentials, spy: openSpy } = await start());
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    });
    afterAll(async () => t?.stop());

    const connect = async (id: string, bootId: string) => {
      const client = await mqtt.connectAsync(t.mqttUrl, {
        clientId: id,
        reconnectPeriod: 0,
        keepalive: 60,
        will: { topic: `kiosks/${id}/status`, payload: Buffer.from(status('offline', bootId)), qos: 1, retain: true },
        ...(await credentials(id)),
      });
      clients.push(client);
      await client.publishAsync(`kiosks/${id}/status`, status('online', bootId), { qos: 1, retain: true });
      return client;
    };
    const kiosk = async (id: string) => (await t.get<KioskBody>(`/api/v1/kiosks/${id}`)).body.kiosk;
    const statuses = async (id: string) =>
      (
        await t.get<{ events: { state: string; bootId: string }[] }>(`/api/v1/events?kiosk=${id}&type=status&order=asc`)
      ).body.events.map((e) => `${e.state} ${e.bootId}`);

    test('the Will of boot 1, published by the broker when boot 2 takes over, leaves the machine online and in service', async () => {
      const spy = await openSpy();
      clients.push(spy);
      const wills: string[] = [];
      spy.on('message', (topic, payload) => {
        const body = JSON.parse(payload.toString()) as { state: string; bootId: string };
        if (body.state === 'offline') wills.push(`${topic.split('/')[1]} ${body.bootId}`);
      });
      await spy.subscribeAsync(['kiosks/TK-1/status', 'kiosks/TK-CLOCK/status'], { qos: 1 });

      const boot1 = await connect('TK-1', 'boot1');
      const clock = await connect('TK-CLOCK', 'c1');
      await expect.poll(async () => (await kiosk('TK-1')).serviceState).toBe('in_service');
      await expect.poll(async () => (await kiosk('TK-CLOCK')).serviceState).toBe('in_service');

      const boot1Closed = new Promise<void>((resolve) => boot1.once('close', () => resolve()));
      await connect('TK-1', 'boot2'); // a new TCP connection, the same client id
      await boot1Closed; // the broker closed boot 1's connection…
      clock.stream.destroy(); // (the clock machine's link drops now)
      await expect.poll(() => wills).toContain('TK-1 boot1'); // …and published its Will

      await expect.poll(async () => (await kiosk('TK-CLOCK')).connection, { timeout: 10_000 }).toBe('offline');
      expect(wills).toEqual(['TK-1 boot1', 'TK-CLOCK c1']);
      // Boot 1's Will was heard before the clock's, and the clock's is recorded: boot 1's is settled.
      expect(await kiosk('TK-1')).toMatchObject({ connection: 'online', bootId: 'boot2', serviceState: 'in_service' });
      expect(t.platform.collector.fleet.get('TK-1')).toMatchObject({ connection: 'online', bootId: 'boot2' });
      expect(t.platform.fleetHealth.health.serviceState('TK-1')).toMatchObject({ state: 'in_service' });
      expect(await statuses('TK-1')).toEqual(['online boot1', 'online boot2']);
      expect((await t.get<{ alerts: unknown[] }>('/api/v1/alerts?kiosk=TK-1')).body.alerts).toEqual([]);
      expect(await statuses('TK-CLOCK')).toEqual(['online c1', 'offline c1']);
    });

    test('a reconnect of the same boot after its link dropped records the offline spell, and ends online', async () => {
      const first = await connect('TK-2', 'r1');
      await expect.poll(async () => (await kiosk('TK-2')).serviceState).toBe('in_service');
      first.stream.destroy(); // no DISCONNECT: the broker publishes the Will
      await connect('TK-2', 'r1'); // back within the hold, the same boot
      await expect.poll(() => statuses('TK-2'), { timeout: 10_000 }).toEqual(['online r1', 'offline r1', 'online r1']);
      // Fleet health folds the stored statuses after the history holds them: wait for it, not a tick.
      await expect
        .poll(async () => await kiosk('TK-2'))
        .toMatchObject({ connection: 'online', bootId: 'r1', serviceState: 'in_service' });
      expect(t.platform.collector.fleet.get('TK-2')).toMatchObject({ connection: 'online', bootId: 'r1' });
    });
  });
}

takeoverSuite('a Last Will takeover through the embedded broker (aedes)', async () => {
  const t = await startTestPlatform({ LAST_WILL_HOLD_MS: HOLD_MS });
  const tokens: Record<string, string> = {};
  return {
    t,
    credentials: async (id) => ({ username: id, password: (tokens[id] ??= await t.provision(id)) }),
    spy: () =>
      mqtt.connectAsync(t.mqttUrl, {
        clientId: 'takeover-spy',
        username: 'dashboard',
        password: t.platform.foundation.secrets.serviceToken,
        reconnectPeriod: 0,
      }),
  };
});

// CI installs Debian's mosquitto (.ci/run); elsewhere the test runs when it is present.
describe.skipIf(!existsSync(MOSQUITTO) && !process.env.CI)('through Debian Mosquitto', () => {
  let dir: string;
  let mosquitto: { url: string; process: ChildProcess } | undefined;
  afterAll(async () => {
    mosquitto?.process.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  takeoverSuite('a Last Will takeover through an external broker (Mosquitto)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-takeover-'));
    mosquitto = await startMosquitto(dir);
    const url = mosquitto.url;
    const t = await startTestPlatform({ MQTT_URL: url, LAST_WILL_HOLD_MS: HOLD_MS });
    const provisioned = new Set<string>();
    return {
      t,
      // Anonymous Mosquitto: the machines need no token, but the registry knows them.
      credentials: async (id) => {
        if (!provisioned.has(id)) await t.provision(id);
        provisioned.add(id);
        return {};
      },
      spy: () => mqtt.connectAsync(url, { clientId: 'takeover-spy', reconnectPeriod: 0 }),
    };
  });
});
