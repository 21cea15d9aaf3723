import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

/** The readers' side in the dashboard: overview tiles, "usual for this hour", loans lost to downtime. */
describe.skipIf(!hasChromium)('reader-side views of the dashboard', () => {
  let t: TestPlatform;
  let browser: Browser;
  let page: Page;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    t = await startTestPlatform();
    for (const id of ['RV-1', 'RV-2']) {
      const client = await t.connectKiosk(id, await t.provision(id));
      clients.push(client);
      const status = JSON.stringify({ state: 'online', ts: new Date().toISOString(), bootId: `${id}-b1` });
      await client.publishAsync(`kiosks/${id}/status`, status, { qos: 1, retain: true });
    }
    const fault = { id: 'rv-f1', ts: new Date().toISOString(), type: 'fault', faultId: 'rv-f1', component: 'rfid_reader' };
    await clients[1]!.publishAsync('kiosks/RV-2/events', JSON.stringify({ ...fault, code: 'RFID_DEAD', severity: 'critical' }), {
      qos: 1,
    });
    browser = await launchBrowser();
    page = await signedInPage(browser, t.baseUrl, 'manager');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const c of clients) await c.endAsync().catch(() => undefined);
    await t?.stop();
  });

  test('the overview counts machines lending now and closed, beside reader availability today', async () => {
    const kpi = (id: string) => page.locator(`[data-kpi="${id}"] .kpi-value`);
    // The tiles refresh every 30 s: reload until the fault is counted.
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.locator('[data-reader-availability]').waitFor();
          return [await kpi('reader-lending').textContent(), await kpi('reader-closed').textContent()];
        },
        { timeout: 15_000, interval: 1_000 },
      )
      .toEqual(['1', '1']);
    expect(await page.locator('[data-kpi="reader-today"] .kpi-label').textContent()).toBe('Lending to readers today');
    expect(await page.locator('[data-kpi="reader-today"] .kpi-value').textContent()).toMatch(/%$/);
  });

  test('the machine page says "not enough history" for a new machine instead of guessing what is usual', async () => {
    await page.goto(`${t.baseUrl}/#/kiosk/RV-1`);
    await expect.poll(() => page.locator('[data-usual-activity] [data-usual]').textContent()).toBe('Not enough history');
    expect(await page.locator('[data-usual-activity] [data-seen]').textContent()).toBe('0');
    expect(await page.locator('[data-usual-activity] [data-usual] span').getAttribute('title')).toMatch(/h of history/);
  });

  test('the reports page shows the estimated transactions lost to downtime, in English and Chinese', async () => {
    await page.goto(`${t.baseUrl}/#/reports`);
    const panel = page.locator('[data-lost-to-downtime]');
    await expect.poll(() => panel.locator('h2').textContent()).toBe('Estimated transactions lost to downtime');
    // A machine with a few minutes of history has no estimate: listed as such, the total stays 0.
    await expect.poll(() => panel.locator('#lost-total').textContent()).toBe('0');
    expect(await panel.locator('tr[data-kiosk="RV-2"]').textContent()).toContain('Not enough history');
    await page.locator('button[data-lang="zh"]').click();
    await expect.poll(() => panel.locator('h2').textContent()).toBe('停机损失借还量（估计）');
    await page.locator('button[data-lang="en"]').click();
  });
});
