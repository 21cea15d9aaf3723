import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningCollector, startCollector } from '../../collector/collector.js';
import type { EventStore } from '../../collector/store/event-store.js';
import { openSpool, type Spool } from '../../collector/store/spool.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import type { SimulatedFleet } from '../../simulator/fleet.js';
import { type AppendLog, recordAppends } from '../support/delivery-check.js';
import { MqttTap } from '../support/mqtt-tap.js';
import {
  type Child,
  createFaultWorld,
  expectCountersExactlyOnce,
  expectExactlyOnceInOrder,
  type FaultWorld,
  freePort,
  spawnCli,
  verdictOf,
} from './fault-harness.js';

const KIOSKS = 100;

describe('the broker killed mid-stream (SIGKILL, restarted after 2 s), then stopped with SIGTERM', () => {
  let world: FaultWorld;
  let store: EventStore;
  let spool: Spool;
  let collector: RunningCollector | undefined;
  let broker: Child | undefined;
  let fleet: SimulatedFleet;
  let port: number;
  let tap: MqttTap;
  let appends: AppendLog;
  const storeFile = () => join(world.dataDir, 'events.sqlite');

  const startBroker = () =>
    spawnCli(
      'broker',
      { DATA_DIR: world.dataDir, HOST: '127.0.0.1', MQTT_PORT: String(port), MQTT_WS_PORT: 'off' },
      'broker running',
    );

  beforeAll(async () => {
    // 100 machines, 20 simulated days generated in 20 s of real time: ~9 events per second per machine.
    world = await createFaultWorld({ kiosks: KIOSKS, simulatedMs: 20 * 86_400_000, realMs: 20_000 });
    port = await freePort();
    broker = await startBroker();
    // The machines reach the broker through a tap that records what each sent and was acked.
    tap = await new MqttTap(() => port).start();
    ({ store, log: appends } = recordAppends(createSqliteEventStore({ file: storeFile(), timeZone: world.f.config.FLEET_TZ })));
    spool = openSpool({ file: join(world.dataDir, 'spool.sqlite'), maxBytes: 64 * 1024 * 1024 });
    collector = await startCollector({
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      username: 'collector',
      password: world.f.secrets.serviceToken,
      topics: world.f.topics,
      store,
      spool,
      calendar: world.f.calendar,
      logger: pino({ level: 'silent' }),
    });
  }, 60_000);

  afterAll(async () => {
    await world?.cleanup();
    await collector?.stop();
    spool?.close();
    await store?.close();
    await tap?.stop();
    broker?.process.kill('SIGKILL');
  }, 60_000);

  test('every generated event is stored exactly once, in the order its machine sent it, acked, and counted once', async () => {
    fleet = await world.startFleet(tap.url);
    await expect.poll(() => collector!.ingest.stats().eventsStored, { timeout: 30_000 }).toBeGreaterThan(4_000);
    const storedAtKill = collector!.ingest.stats().eventsStored;
    broker!.process.kill('SIGKILL');
    expect(await broker!.exited).toMatchObject({ signal: 'SIGKILL' });
    await delay(2_000);
    broker = await startBroker();

    // The backlog is generated in 20 s; then every outbox empties (machines resend what was lost).
    await expect
      .poll(() => Math.min(...fleet.machines.map((m) => m.generatedUntilMs())), { timeout: 40_000, interval: 500 })
      .toBeGreaterThan(Date.now() - 60_000);
    await expect.poll(() => fleet.pendingCount(), { timeout: 60_000, interval: 500 }).toBe(0);
    await collector!.ingest.drain();
    const verdict = await verdictOf(store, world.generated, { tap, storeFile: storeFile() });
    const stats = collector!.ingest.stats();
    console.info('broker SIGKILL:', {
      storedAtKill,
      generated: verdict.generated,
      sentOnTheWire: tap.sentCount(),
      stored: verdict.stored,
      missing: verdict.missing.length,
      duplicates: stats.duplicates,
    });
    expect(verdict.generated).toBeGreaterThan(10_000);
    expectExactlyOnceInOrder(verdict);
    expectCountersExactlyOnce(stats, appends, verdict);
  }, 150_000);

  test('SIGTERM: the broker exits 0 within 10 s, and machines lose nothing while it is away', async () => {
    const started = Date.now();
    broker!.process.kill('SIGTERM');
    const exit = await broker!.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    await delay(1_000);
    broker = await startBroker();
    await expect.poll(() => fleet.pendingCount(), { timeout: 30_000, interval: 500 }).toBe(0);
    await collector!.ingest.drain();
    const verdict = await verdictOf(store, world.generated, { tap, storeFile: storeFile() });
    expectExactlyOnceInOrder(verdict);
    expectCountersExactlyOnce(collector!.ingest.stats(), appends, verdict);
  }, 60_000);
});
