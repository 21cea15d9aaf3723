import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

describe.skipIf(!hasChromium)('the web app with little history', () => {
  let fresh: TestPlatform;
  let replaying: TestPlatform;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    // A platform that first hears from its one machine now, and one whose simulated fleet is still
    // replaying the last week (a week at 1,000× takes ten minutes: it replays throughout the test).
    [fresh, replaying] = await Promise.all([
      startTestPlatform(),
      startTestPlatform({ SIM_KIOSKS: '2', SIM_HISTORY_DAYS: '7', SIM_SPEED: '1000' }),
    ]);
    const client = await fresh.connectKiosk('H-001', await fresh.provision('H-001'));
    await client.publishAsync(
      'kiosks/H-001/status',
      JSON.stringify({ state: 'online', ts: new Date().toISOString(), bootId: 'b1' }),
      {
        qos: 1,
        retain: true,
      },
    );
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(pages.map((page) => page.context().close()));
    await browser?.close();
    await Promise.all([fresh?.stop(), replaying?.stop()]);
  });

  test('minutes after the first machine is heard from, availability says "not enough data", not 100 %', async () => {
    const page = await signedInPage(browser, fresh.baseUrl, 'operator');
    pages.push(page);
    await page.locator('.tile[data-kiosk="H-001"]').waitFor();
    await expect
      .poll(() => page.locator('[data-kpi="availability-today"] .kpi-value').textContent(), { timeout: 30_000 })
      .toBe('not enough data yet');
    expect(await page.locator('[data-kpi="availability-month"] .kpi-value').textContent()).toBe('not enough data yet');
  });

  test('minutes after a machine is first heard from, its page\'s uptime says "not enough data" in every window', async () => {
    const page = await signedInPage(browser, fresh.baseUrl, 'operator');
    pages.push(page);
    await page.goto(`${fresh.baseUrl}/#/kiosk/H-001`);
    const uptime = page.locator('[data-section="uptime"] dd');
    // A bound on waiting: this platform shares its process with one replaying a week at 1,000×.
    await expect.poll(() => uptime.allTextContents(), { timeout: 30_000 }).toEqual(Array(4).fill('not enough data yet'));
  });

  test('a machine first heard from this week is due for inspection, not overdue for the weeks before', async () => {
    const page = await signedInPage(browser, fresh.baseUrl, 'maintenance');
    pages.push(page);
    await page.locator('[data-nav="inspections"]').click();
    await page.locator('#inspections-title').waitFor();
    await expect.poll(() => page.locator('#main').textContent()).toContain('H-001');
    expect(await page.locator('.chip.late').count()).toBe(0);
    const week = await fresh.get<{ overdue: string[]; due: string[] }>('/api/v1/inspections');
    expect(week.body.overdue).toEqual([]);
    expect(week.body.due).toEqual(['H-001']);
  });

  test('while the simulation replays the past, every page says so with the simulated time', async () => {
    const page = await signedInPage(browser, replaying.baseUrl, 'operator');
    pages.push(page);
    const banner = page.locator('.replay-banner');
    await expect
      .poll(() => banner.textContent())
      .toMatch(/^Replaying the simulated history: simulated time \d\d\/\d\d\/\d{4}, \d\d:\d\d$/);
    const shown = (await banner.textContent())!.match(/(\d\d)\/(\d\d)\/(\d{4})/)!;
    const shownDay = `${shown[3]}-${shown[2]}-${shown[1]}`;
    expect(shownDay < new Date().toISOString().slice(0, 10)).toBe(true);
    await page.locator('[data-nav="alerts"]').click();
    await page.locator('#alerts-title').waitFor();
    expect(await banner.isVisible()).toBe(true);
    // Not on a platform that simulates nothing.
    const other = await signedInPage(browser, fresh.baseUrl, 'operator');
    pages.push(other);
    await other.locator('.tile').first().waitFor();
    expect(await other.locator('.replay-banner').count()).toBe(0);
  });
});
