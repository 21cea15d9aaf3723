import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

const MACHINES = 1_000;
const idOf = (i: number) => `S-${String(i).padStart(4, '0')}`;

describe.skipIf(!hasChromium)('the overview with 1,000 machines', () => {
  let t: TestPlatform;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await startTestPlatform();
    // Seeded straight into the registry (one transaction), as a large fleet's import would be.
    const kiosks = Array.from({ length: MACHINES }, (_, i) => ({
      id: idOf(i + 1),
      name: `Scale machine ${i + 1}`,
      district: `District ${i % 12}`,
      lat: 39.7 + (i % 40) * 0.01,
      lon: 116.2 + Math.floor(i / 40) * 0.02,
    }));
    t.platform.foundation.registry.provisionMissing(kiosks);
    t.platform.collector.fleet.ensure(kiosks.map((k) => k.id));
    browser = await launchBrowser();
    page = await signedInPage(browser, t.baseUrl, 'operator');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('shows every machine as a tile and counts them all', async () => {
    await expect.poll(() => page.locator('.tile').count(), { timeout: 20_000 }).toBe(MACHINES);
    expect(await page.locator('#count-all').textContent()).toBe(String(MACHINES));
    expect(await page.locator('.tiles').getAttribute('data-count')).toBe(String(MACHINES));
  });

  test('a machine coming online among 1,000 changes only its tile, live', async () => {
    const id = idOf(500);
    const client = await t.connectKiosk(id, await t.platform.foundation.registry.rotateToken(id));
    await client.publishAsync(
      `kiosks/${id}/status`,
      JSON.stringify({ state: 'online', ts: new Date().toISOString(), bootId: 'b1' }),
      { qos: 1, retain: true },
    );
    await expect.poll(() => page.locator(`.tile[data-kiosk="${id}"]`).getAttribute('data-state')).toBe('in_service');
    expect(await page.locator('[data-count="in_service"] .count-value').textContent()).toBe('1');
    expect(await page.locator('.tile').count()).toBe(MACHINES);
  });
});
