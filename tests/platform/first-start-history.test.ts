import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCalendar } from '../../time/calendar.js';
import { addIsoWeeks, isoWeekOf } from '../../time/iso-week.js';
import { parseConfig } from '../../config/config.js';
import { hasChromium, launchBrowser, signedInPage } from '../e2e/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

const HOUR_MS = 3_600_000;
/** What `npm start` uses: the shipped defaults, not the tests' own pace (LOOPBACK_SETTINGS). */
const defaults = parseConfig({}, {});
/** A newcomer should see history "within a minute"; the platform's start is counted apart. */
const CATCH_UP_BOUND_MS = 60_000;

describe('a first start on an empty data directory', () => {
  let t: TestPlatform;
  let browser: Browser | undefined;
  let startedAtMs = 0;

  beforeAll(async () => {
    t = await startTestPlatform({
      SIM_KIOSKS: '20',
      SIM_HISTORY_DAYS: String(defaults.SIM_HISTORY_DAYS),
      SIM_SPEED: String(defaults.SIM_SPEED),
      SIM_BATCH: String(defaults.SIM_BATCH),
    });
    startedAtMs = Date.now();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('the simulated fleet lives through the last weeks within a minute, then runs in real time', async () => {
    const simulator = t.platform.simulator!;
    await expect
      .poll(() => Math.min(...simulator.machines.map((m) => m.generatedUntilMs())), { timeout: CATCH_UP_BOUND_MS, interval: 500 })
      .toBeGreaterThan(Date.now() - HOUR_MS);
    await expect.poll(() => simulator.pendingCount(), { timeout: 30_000 }).toBe(0);
    expect(defaults.SIM_HISTORY_DAYS).toBeGreaterThanOrEqual(14);
    expect(Date.now() - startedAtMs).toBeLessThan(CATCH_UP_BOUND_MS + 30_000);
  }, 120_000);

  test('a newcomer finds alerts, inspections of past weeks, reservations and monthly circulation at once', async () => {
    const calendar = createCalendar(defaults.FLEET_TZ);
    const twoWeeksAgo = addIsoWeeks(isoWeekOf(Date.now(), calendar), -2);
    const inspections = await t.get<{ done: unknown[] }>(`/api/v1/inspections?week=${twoWeeksAgo}`);
    expect(inspections.status).toBe(200);
    expect(inspections.body.done.length).toBeGreaterThan(10);

    const alerts = await t.get<{ alerts: unknown[] }>('/api/v1/alerts?state=open,acknowledged,resolved');
    expect(alerts.body.alerts.length).toBeGreaterThan(0);

    const reservations = await t.get<{ reservations: unknown[] }>('/api/v1/reservations');
    expect(reservations.body.reservations.length).toBeGreaterThan(0);

    const month = calendar.monthOf(Date.now() - 14 * 24 * HOUR_MS);
    const circulation = await t.get<{ total: { loans: number } }>(
      `/api/v1/reports/circulation?format=json&from=${month}&to=${month}`,
    );
    expect(circulation.status).toBe(200);
    expect(circulation.body.total.loans).toBeGreaterThan(100);
  });

  test.skipIf(!hasChromium)(
    "the inspections page shows this week's visits already made in the browser",
    async () => {
      browser = await launchBrowser();
      const page = await signedInPage(browser, t.baseUrl, 'maintenance');
      await page.locator('[data-nav="inspections"]').click();
      await page.locator('#inspections-title').waitFor();
      // Crews visit from Monday on: unless it is Monday morning, some machines of this week are done.
      const isEarlyInWeek = new Date().getUTCDay() === 1 && new Date().getUTCHours() < 4;
      if (!isEarlyInWeek) await expect.poll(() => page.locator('.plain-list li').count()).toBeGreaterThan(0);
      await page.context().close();
    },
    60_000,
  );
});
