import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

describe('SIM_SIP2: simulated SIP2 machines through a bridge beside the MQTT ones', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    const start = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    t = await startTestPlatform({ SIM_SIP2: '2', SIM_SPEED: '100000', SIM_START: start });
  });
  afterAll(() => t?.stop());

  test('the bridged machines are registered, come online and their loans reach the history', { timeout: 70_000 }, async () => {
    const kiosks = (await t.get<{ kiosks: Array<{ id: string }> }>('/api/v1/kiosks')).body.kiosks.map((k) => k.id);
    expect(kiosks).toEqual(expect.arrayContaining(['S2-0001', 'S2-0002']));
    await expect
      .poll(
        async () =>
          (await t.get<{ events: unknown[] }>('/api/v1/events?kiosk=S2-0001&type=loan,return&limit=10')).body.events.length,
        { timeout: 30_000, interval: 200 },
      )
      .toBeGreaterThan(0);
    await expect
      .poll(
        async () =>
          (await t.get<{ events: Array<{ state?: string }> }>('/api/v1/events?kiosk=S2-0002&type=status&limit=1')).body.events[0]
            ?.state,
        {
          timeout: 30_000,
          interval: 200,
        },
      )
      .toBe('online');
  });
});
