import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser } from './browser.js';

describe.skipIf(!hasChromium)('the API reference page in a browser', () => {
  let t: TestPlatform;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestPlatform();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('renders every route of the OpenAPI document without one Content-Security-Policy violation or outside request', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      const outside: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });
      page.on('request', (request) => {
        if (!request.url().startsWith(t.baseUrl)) outside.push(request.url());
      });
      await page.goto(`${t.baseUrl}/docs/api/`);
      const document = (await t.anonymous.get<{ paths: Record<string, Record<string, unknown>> }>('/api/v1/openapi.json')).body;
      const operations = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
      await expect.poll(() => page.locator('.opblock').count()).toBe(operations);
      expect(await page.locator('.opblock-summary-path', { hasText: '/api/v1/kiosks/{id}/commands' }).count()).toBe(2);
      expect(await page.locator('.info .title').first().textContent({ timeout: 5_000 })).toContain('kiosk-fleet REST API');
      expect(violations).toEqual([]);
      expect(outside).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
