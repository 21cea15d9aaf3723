import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser } from './browser.js';

/** Machines as readers know them: public names that carry no id. */
const MACHINES = [
  {
    id: 'ST-OPEN',
    name: '望京街道自助图书馆',
    nameEn: 'Wangjing library kiosk',
    lat: 39.99,
    lon: 116.47,
    address: '望京西路 1 号',
  },
  {
    id: 'ST-PAUSED',
    name: '三里屯自助图书馆',
    nameEn: 'Sanlitun library kiosk',
    lat: 39.93,
    lon: 116.45,
    address: '工体北路 8 号',
  },
  { id: 'ST-HIDDEN', name: '仓库测试机', nameEn: 'Depot test machine', lat: 39.9, lon: 116.4, address: '测试地址' },
];
/** What the page must never show: ids, fault codes, telemetry, people. */
const INTERNAL = /ST-OPEN|ST-PAUSED|ST-HIDDEN|bootId|faultId|RFID_|firmware|temperature|operator|kioskId/;

describe.skipIf(!hasChromium)('the public status page in a browser, without sign-in', () => {
  let t: TestPlatform;
  let browser: Browser;
  const clients: MqttClient[] = [];
  const contexts: BrowserContext[] = [];

  /** A fresh, signed-out browser on /status; every request it makes is recorded. */
  async function openStatus(options: { lang?: 'en'; phone?: boolean } = {}): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext(
      options.phone
        ? { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN' }
        : { viewport: { width: 1280, height: 800 }, locale: 'zh-CN' },
    );
    contexts.push(context);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${t.baseUrl}/status${options.lang ? `?lang=${options.lang}` : ''}`);
    await page.locator('#machines li').first().waitFor();
    return { page, requests };
  }

  beforeAll(async () => {
    t = await startTestPlatform();
    const admin = await t.api('admin');
    for (const { id, ...facts } of MACHINES) {
      const created = await admin.post<{ mqtt: { password: string } }>('/api/v1/kiosks', { id, district: '朝阳', ...facts });
      expect(created.status).toBe(201);
      const client = await t.connectKiosk(id, created.body.mqtt.password);
      clients.push(client);
      const status = JSON.stringify({ state: 'online', ts: new Date().toISOString(), bootId: `${id}-b1` });
      await client.publishAsync(`kiosks/${id}/status`, status, { qos: 1, retain: true });
    }
    const operator = await t.api('operator');
    const paused = await operator.post('/api/v1/kiosks/ST-PAUSED/commands', { type: 'pause', reason: 'road works' });
    expect(paused.status).toBeLessThan(300);
    expect((await operator.post('/api/v1/kiosks/ST-HIDDEN/public-status', { hidden: true })).status).toBe(200);
    const health = t.platform.fleetHealth!.health;
    await vi.waitFor(() => expect(health.serviceState('ST-PAUSED').state).toBe('paused'));
    await vi.waitFor(() => expect(health.serviceState('ST-OPEN').state).toBe('in_service'));
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    for (const c of clients) await c.endAsync().catch(() => undefined);
    await t?.stop();
  });

  test('renders the list and the map in Chinese: a hidden machine absent, a paused one closed, no internal field', async () => {
    const { page, requests } = await openStatus();
    // The answer is reused for a few seconds: reload until the one showing the pause and the hiding is served.
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.locator('#machines li').first().waitFor();
          return page.locator('#machines .name').allTextContents();
        },
        { timeout: 15_000, interval: 1_000 },
      )
      .toEqual(['三里屯自助图书馆', '望京街道自助图书馆']);
    const badge = (name: string) => page.locator('#machines li', { hasText: name }).locator('.badge');
    expect(await badge('三里屯自助图书馆').getAttribute('class')).toContain('closed');
    expect(await badge('三里屯自助图书馆').textContent()).toBe('暂停服务');
    expect(await badge('望京街道自助图书馆').textContent()).toBe('可借书');
    expect(await page.locator('#map circle').count()).toBe(2);
    expect(await page.locator('#map circle.closed').count()).toBe(1);
    expect(await page.locator('#summary').textContent()).toBe('1 台可借书，0 台仅可还书，1 台暂停服务');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh');
    const html = await page.content();
    expect(html).not.toMatch(INTERNAL);
    expect(html).not.toContain('仓库测试机');
    // Signed out all along: the page asked for nothing that needs sign-in.
    expect(requests.filter((p) => p.startsWith('/api/'))).toEqual(expect.arrayContaining(['/api/v1/public/status']));
    expect(requests.filter((p) => p.startsWith('/api/') && p !== '/api/v1/public/status')).toEqual([]);
  });

  test('switches between Chinese and English', async () => {
    const { page } = await openStatus();
    await page.locator('#language').click();
    expect(await page.locator('#title').textContent()).toBe('Can I borrow at a self-service library now?');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect.poll(() => page.locator('#machines .name').allTextContents()).toContain('Wangjing library kiosk');
    expect(await page.locator('#machines .badge').allTextContents()).toEqual(expect.arrayContaining(['Closed', 'Lending now']));
    await page.locator('#language').click();
    expect(await page.locator('#title').textContent()).toBe('自助图书馆现在能借书吗？');
    const english = await openStatus({ lang: 'en' });
    expect(await english.page.locator('#language').textContent()).toBe('中文');
  });

  test('fits a phone: nothing wider than the screen, the map and every machine readable', async () => {
    const { page } = await openStatus({ phone: true });
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      screen: window.innerWidth,
      map: document.getElementById('map')!.getBoundingClientRect().width,
    }));
    expect(widths.screen).toBe(375);
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    expect(widths.map).toBeGreaterThan(200);
    expect(widths.map).toBeLessThanOrEqual(widths.screen);
    for (const item of await page.locator('#machines li').all()) {
      const box = (await item.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(375);
    }
    const fontPx = await page
      .locator('#machines .name')
      .first()
      .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(fontPx).toBeGreaterThanOrEqual(14);
  });
});
