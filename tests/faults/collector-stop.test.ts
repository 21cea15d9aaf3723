import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningBroker } from '../../broker/broker.js';
import { startEmbeddedBroker } from '../../cli/platform.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import type { SimulatedFleet } from '../../simulator/fleet.js';
import { type Child, createFaultWorld, type FaultWorld, spawnCli, verdictOf } from './fault-harness.js';

describe('the collector stopped with SIGTERM and killed with SIGKILL mid-stream', () => {
  let world: FaultWorld;
  let broker: RunningBroker;
  let collector: Child | undefined;
  let fleet: SimulatedFleet;

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
  }, 60_000);

  afterAll(async () => {
    collector?.process.kill('SIGKILL');
    await world?.cleanup();
    await broker?.stop();
  }, 60_000);

  test('SIGTERM exits 0 within 10 s; after SIGKILL and restarts every generated event is stored once, in order', async () => {
    collector = await startCollector();
    fleet = await world.startFleet(`mqtt://127.0.0.1:${broker.port}`);
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
      const verdict = await verdictOf(store, world.generated);
      console.info('collector SIGTERM + SIGKILL:', {
        generated: verdict.generated,
        stored: verdict.stored,
        sigtermExitMs: stopMs,
      });
      expect(verdict.generated).toBeGreaterThan(5_000);
      expect(verdict.missing).toEqual([]);
      expect(verdict.unexpected).toEqual([]);
      expect(verdict.duplicates).toBe(0);
      expect(verdict.machinesOutOfOrder).toEqual([]);
      expect(verdict.loansAndReturnsCounted).toBe(verdict.loansAndReturnsStored);
    } finally {
      await store.close();
    }
  }, 150_000);
});
