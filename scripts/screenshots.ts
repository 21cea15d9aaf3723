/**
 * `npm run screenshots`: one PNG per view of the web app (1280×800, and the alerts board on a
 * portrait tablet) in docs/screenshots/, taken against a whole platform in this process with a
 * simulated fleet of 70 machines (the reference network) with three weeks of history, as a first
 * start has; the overview and alerts also on a phone (390×844), in 中文 and English. Not part of
 * `npm test`.
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { startTestPlatform } from '../tests/support/platform-harness.js';
import { launchBrowser, signedInPage } from '../tests/e2e/browser.js';

const OUT_DIR = 'docs/screenshots';

// What `npm start` does on a first start: three weeks of history at 50,000×, then real time.
// Telemetry every real second gives the charts readings while it catches up.
const t = await startTestPlatform({
  SIM_KIOSKS: '70',
  SIM_HISTORY_DAYS: '21',
  SIM_SPEED: '50000',
  SIM_BATCH: '100',
  SIM_TELEMETRY_MS: '1000',
});
const browser = await launchBrowser();
try {
  await mkdir(OUT_DIR, { recursive: true });
  console.log('simulating the last three weeks of the fleet: under a minute');
  const simulator = t.platform.simulator!;
  while (simulator.catchingUpAtMs() !== null || simulator.pendingCount() > 0) await new Promise((r) => setTimeout(r, 1_000));

  const loginPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await loginPage.goto(t.baseUrl);
  await loginPage.evaluate(() => localStorage.setItem('kiosk-fleet.lang', 'zh'));
  await loginPage.reload();
  await loginPage.locator('form.auth-form').waitFor();
  await loginPage.screenshot({ path: `${OUT_DIR}/login-zh.png` });

  const page = await signedInPage(browser, t.baseUrl, 'admin');
  const shoot = async (hash: string, name: string, ready: (p: Page) => Promise<unknown>) => {
    await page.goto(`${t.baseUrl}/#/${hash}`);
    await ready(page);
    await page.waitForTimeout(1_500); // charts finish drawing
    await page.screenshot({ path: `${OUT_DIR}/${name}.png` });
    console.log(`${OUT_DIR}/${name}.png`);
  };
  await shoot('', 'overview', (p) => p.locator('.tile').first().waitFor());
  // A machine with a fault makes the richest detail page; any machine will do otherwise.
  const detailId = await page.evaluate(
    () =>
      (
        document.querySelector('.tile[data-state="out_of_service"], .tile[data-state="degraded"]') ??
        document.querySelector('.tile')
      )?.getAttribute('data-kiosk') ?? 'CY-001',
  );
  await shoot(`kiosk/${detailId}`, 'machine-detail', (p) => p.locator('.machine').waitFor());
  await shoot('alerts', 'alerts', (p) => p.locator('#alerts-title').waitFor());
  await shoot('inspections', 'inspections', (p) => p.locator('#inspections-title').waitFor());
  await shoot('reservations', 'reservations', (p) => p.locator('#reservations-title').waitFor());
  await shoot('reports', 'reports', (p) => p.locator('#circulation-table').waitFor());
  await shoot('admin', 'admin', (p) => p.locator('#audit-table').waitFor());
  await page.locator('button[data-lang="zh"]').click();
  await shoot('', 'overview-zh', (p) => p.locator('.tile').first().waitFor());

  // A crew member's phone, in both languages: the overview and the alerts board.
  for (const lang of ['zh', 'en'] as const) {
    const phone = await signedInPage(browser, t.baseUrl, 'maintenance', { width: 390, height: 844 });
    await phone.locator(`button[data-lang="${lang}"]`).click();
    for (const [hash, name, ready] of [
      ['', 'overview', '.tile'],
      ['alerts', 'alerts', '#alerts-title'],
    ] as const) {
      await phone.goto(`${t.baseUrl}/#/${hash}`);
      await phone.locator(ready).first().waitFor();
      await phone.waitForTimeout(1_500); // charts finish drawing
      await phone.screenshot({ path: `${OUT_DIR}/${name}-phone-${lang}.png` });
      console.log(`${OUT_DIR}/${name}-phone-${lang}.png`);
    }
    await phone.context().close();
  }
  await page.locator('button[data-lang="zh"]').click();
  await shoot('alerts', 'alerts-zh', (p) => p.locator('#alerts-title').waitFor());
  await shoot('reports', 'reports-zh', (p) => p.locator('#circulation-table').waitFor());

  // A crew member's tablet in portrait: the alerts board.
  const tablet = await signedInPage(browser, t.baseUrl, 'maintenance', { width: 820, height: 1180 });
  await tablet.goto(`${t.baseUrl}/#/alerts`);
  await tablet.locator('#alerts-title').waitFor();
  await tablet.screenshot({ path: `${OUT_DIR}/alerts-tablet.png` });
  console.log(`${OUT_DIR}/alerts-tablet.png`);
} finally {
  await browser.close();
  await t.stop();
}
