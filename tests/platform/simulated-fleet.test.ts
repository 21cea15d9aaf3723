import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

interface KiosksBody {
  kiosks: { id: string; connection: string; name: string; district: string; lat: number }[];
}

describe('npm start in miniature: embedded broker, collector, dashboard and a simulated fleet', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({
      SIM_KIOSKS: '10',
      SIM_START: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      SIM_SPEED: '20000',
    });
  });
  afterAll(async () => t?.stop());

  test('every simulated machine of the reference fleet shows up online through REST', async () => {
    const online = async () => (await t.get<KiosksBody>('/api/v1/kiosks?connection=online')).body.kiosks;
    await expect.poll(async () => (await online()).length, { timeout: 10_000 }).toBe(10);
    const first = (await online()).find((k) => k.id === 'CY-001');
    expect(first).toMatchObject({ name: '三里屯商场广场自助图书馆', district: '三里屯' });
  });

  test('once the simulation has caught up with the clock, every outbox is empty and each event is stored once', async () => {
    const caughtUpAt = Date.now();
    const sim = t.platform.simulator!;
    await expect.poll(() => sim.machines.every((m) => m.generatedUntilMs() >= caughtUpAt), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => sim.pendingCount(), { timeout: 20_000 }).toBe(0);
    await expect
      .poll(async () => (await t.get<{ events: unknown[] }>('/api/v1/events?type=loan,return&limit=10000')).body.events.length, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    const { body } = await t.get<{ events: { id: string }[] }>('/api/v1/events?type=loan,return&limit=10000');
    const ids = body.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const health = await t.get<{ ingest: { duplicates: number; deadLetters: number } }>('/api/v1/health');
    expect(health.body.ingest.deadLetters).toBe(0);
  });
});
