import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { type Foundation, openFoundation, startEmbeddedBroker, startSimulator } from '../../platform/index.js';
import { ensureSimulatedCredentials } from '../../platform/sim-credentials.js';
import { loadReferenceFleet, type SimulatedFleet } from '../../simulator/fleet.js';
import type { RunningBroker } from '../../broker/broker.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import { openSpool } from '../../collector/store/spool.js';
import { parseConfig } from '../../config/config.js';
import { KIOSK_EVENT_TYPES } from '../../protocol/events.js';
import { REFERENCE_DIR } from '../../platform/index.js';
import { deliveryVerdict, sqliteInsertOrder } from '../support/delivery-check.js';
import { MqttTap } from '../support/mqtt-tap.js';

const KIOSKS = 20;
const SIMULATED_DAYS = 40;

/** Starts `kiosk-fleet collector` as a child process; resolves once it is subscribed. */
async function spawnCollector(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'collector'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.includes('collector and dashboard running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`collector exited early with ${code}`)));
  });
  return child;
}

describe('the collector killed mid-stream', () => {
  let dataDir: string;
  let f: Foundation;
  let broker: RunningBroker;
  let fleet: SimulatedFleet;
  let spy: MqttClient;
  let collector: ChildProcess | undefined;
  let tap: MqttTap;
  const seenIds = new Set<string>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-crash-'));
    const startMs = Date.now() - SIMULATED_DAYS * 86_400_000;
    const config = parseConfig({
      HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: 'off',
      DATA_DIR: dataDir,
      SIM_KIOSKS: String(KIOSKS),
      SIM_START: new Date(startMs).toISOString(),
      // The whole backlog is generated in about ten seconds of real time.
      SIM_SPEED: String((SIMULATED_DAYS * 86_400_000) / 10_000),
      SIM_TELEMETRY_MS: '60000',
      LOG_LEVEL: 'silent',
    });
    f = await openFoundation(config, createLogger('silent'));
    broker = await startEmbeddedBroker(f);
    // The machines reach the broker through a tap that records what each sent and was acked.
    tap = await new MqttTap(() => broker.port).start();
    ensureSimulatedCredentials(
      f.registry,
      loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), KIOSKS),
      f.paths.simCredentials,
    );
    // A persistent session: if the observer's link hiccups under load, the broker keeps its messages.
    spy = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: 'dashboard',
      clean: false,
      username: 'dashboard',
      password: f.secrets.serviceToken,
    });
    spy.on('message', (_topic, payload) => {
      const parsed = JSON.parse(payload.toString()) as { id: string } | { id: string }[];
      for (const e of Array.isArray(parsed) ? parsed : [parsed]) seenIds.add(e.id);
    });
    await spy.subscribeAsync('kiosks/+/events', { qos: 1 });
  });

  afterAll(async () => {
    collector?.kill('SIGKILL');
    await fleet?.stop();
    await spy?.endAsync(true);
    await tap?.stop();
    await broker?.stop();
    f?.registry.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('after SIGKILL and a restart, every event published is stored exactly once, acked, and counted once', async () => {
    const collectorEnv = {
      MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
      MQTT_USERNAME: 'collector',
      MQTT_PASSWORD: f.secrets.serviceToken,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      SIM_KIOSKS: '0',
    };
    collector = await spawnCollector(collectorEnv);
    fleet = await startSimulator(f, tap.url, { provision: false });

    await expect.poll(() => seenIds.size, { timeout: 20_000 }).toBeGreaterThan(500);
    collector.kill('SIGKILL');
    await new Promise((resolve) => collector!.once('exit', resolve));
    const seenAtKill = seenIds.size;
    await expect.poll(() => seenIds.size, { timeout: 20_000 }).toBeGreaterThan(seenAtKill + 300);
    collector = await spawnCollector(collectorEnv);

    // Machines resend whatever was not acked; wait until every outbox is empty.
    await expect.poll(() => fleet.pendingCount(), { timeout: 60_000, interval: 500 }).toBe(0);
    collector.kill('SIGTERM');
    await new Promise((resolve) => collector!.once('exit', resolve));
    collector = undefined;

    const store = createSqliteEventStore({ file: f.paths.events, timeZone: f.config.FLEET_TZ });
    try {
      // A batch the store refused for a moment (a loaded machine) was acked from the spool, which
      // the next start replays into the store first: do that replay here, as it would.
      const spool = openSpool({ file: join(dataDir, 'spool.sqlite'), maxBytes: f.config.SPOOL_MAX_BYTES });
      try {
        for (let batch = spool.peek(10_000); batch; batch = spool.peek(10_000)) {
          await store.append(batch.records);
          spool.remove(batch.seqs);
        }
      } finally {
        spool.close();
      }
      const stored = [];
      let after;
      for (;;) {
        const page = await store.readEvents({ limit: 10_000, ...(after ? { after } : {}) });
        // What the machines sent; the platform's own events (markers, escalations) are not theirs.
        stored.push(...page.filter((r) => (KIOSK_EVENT_TYPES as readonly string[]).includes(r.type)));
        if (page.length < 10_000) break;
        after = { tsMs: page.at(-1)!.tsMs, id: page.at(-1)!.id };
      }
      const storedIds = stored.map((r) => r.id);
      // Every event a machine published is stored. If not, the failure says what became of the
      // missing ones: a dead letter (refused, acked as rejected) or nothing at all.
      const storedSet = new Set(storedIds);
      const missing = [...seenIds].filter((id) => !storedSet.has(id));
      const deadLetters = missing.length > 0 ? await store.readDeadLetters({ limit: 20 }) : [];
      expect({
        missing: missing.length,
        firstMissing: missing.slice(0, 5),
        deadLetters: deadLetters.map((d) => `${d.reason}: ${d.detail} (${d.topic})`),
      }).toEqual({ missing: 0, firstMissing: [], deadLetters: [] });
      expect(new Set(storedIds)).toEqual(seenIds);
      // Against the wire: each machine's sent events stored (once: the store's insert order),
      // every one acked back to it, none acked that is not stored. (Not in the order sent: after
      // the restart aedes delivers new messages alongside the queue it kept for the collector.)
      const delivery = deliveryVerdict({ sent: tap.sent, inserted: sqliteInsertOrder(f.paths.events), acked: tap.acked });
      expect(delivery).toMatchObject({ missing: [], unexpected: [], unacked: [], ackedNotStored: [] });
      expect(delivery.stored).toBe(storedIds.length);

      const counts = await store.countByPeriod({
        granularity: 'month',
        fromDay: '2000-01-01',
        toDay: '2100-01-01',
        types: ['loan', 'return'],
      });
      const counted = counts.reduce((sum, row) => sum + row.count, 0);
      expect(counted).toBe(stored.filter((r) => r.type === 'loan' || r.type === 'return').length);
    } finally {
      await store.close();
    }
  }, 120_000);
});
