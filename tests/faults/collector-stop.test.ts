import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningBroker } from '../../broker/broker.js';
import { startEmbeddedBroker } from '../../platform/index.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import type { SimulatedFleet } from '../../simulator/fleet.js';
import { MqttTap } from '../support/mqtt-tap.js';
import { type Child, createFaultWorld, expectExactlyOnce, type FaultWorld, spawnCli, verdictOf } from './fault-harness.js';

describe('the collector stopped with SIGTERM and killed with SIGKILL mid-stream', () => {
  let world: FaultWorld;
  let broker: RunningBroker;
  let collector: Child | undefined;
  let fleet: SimulatedFleet;
  let tap: MqttTap;

  const startCollector = () =>
    spawnCli(
      'collector',
      {
        MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
        MQTT_USERNAME: 'collector',
        MQTT_PASSWORD: world.f.secrets.serviceToken,
        DATA_DIR: world.dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        SIM_KIOSKS: '0',
      },
      'collector and dashboard running',
    );

  beforeAll(async () => {
    // 50 machines, 15 simulated days in 20 s of real time.
    world = await createFaultWorld({ kiosks: 50, simulatedMs: 15 * 86_400_000, realMs: 20_000 });
    broker = await startEmbeddedBroker(world.f);
    // The machines reach the broker through a tap that records what each sent and was acked.
    tap = await new MqttTap(() => broker.port).start();
  }, 60_000);

  afterAll(async () => {
    collector?.process.kill('SIGKILL');
    await world?.cleanup();
    await tap?.stop();
    await broker?.stop();
  }, 60_000);

  test('SIGTERM exits 0 within 10 s; after SIGKILL and restarts every generated event is stored once and acked', async () => {
    collector = await startCollector();
    fleet = await world.startFleet(tap.url);
    await delay(5_000);
    const termAt = Date.now();
    collector.process.kill('SIGTERM');
    expect(await collector.exited).toEqual({ code: 0, signal: null });
    const stopMs = Date.now() - termAt;
    expect(stopMs).toBeLessThan(10_000);

    collector = await startCollector();
    await delay(4_000);
    collector.process.kill('SIGKILL');
    expect(await collector.exited).toMatchObject({ signal: 'SIGKILL' });
    await delay(1_000);
    collector = await startCollector();

    await expect
      .poll(() => Math.min(...fleet.machines.map((m) => m.generatedUntilMs())), { timeout: 40_000, interval: 500 })
      .toBeGreaterThan(Date.now() - 60_000);
    await expect.poll(() => fleet.pendingCount(), { timeout: 60_000, interval: 500 }).toBe(0);
    const lastTermAt = Date.now();
    collector.process.kill('SIGTERM');
    expect(await collector.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - lastTermAt).toBeLessThan(10_000);
    collector = undefined;

    const store = createSqliteEventStore({ file: world.f.paths.events, timeZone: world.f.config.FLEET_TZ });
    try {
      // The collector ran in three processes: its counters did not survive; the store's insert
      // order and the acks on the wire did.
      const verdict = await verdictOf(store, world.generated, { tap, storeFile: world.f.paths.events });
      console.info('collector SIGTERM + SIGKILL:', {
        generated: verdict.generated,
        sentOnTheWire: tap.sentCount(),
        stored: verdict.stored,
        sigtermExitMs: stopMs,
      });
      expect(verdict.generated).toBeGreaterThan(5_000);
      // Not in the order sent: when the collector comes back on its persistent session, aedes
      // restores its subscriptions before it replays the queue kept for it, so events a machine
      // sends (or resends) then overtake older ones queued while the collector was away. Every
      // read of the history is by event time, and every fold takes late events.
      expectExactlyOnce(verdict);
    } finally {
      await store.close();
    }
  }, 150_000);
});
