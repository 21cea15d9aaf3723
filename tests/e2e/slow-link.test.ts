import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

/**
 * Script the sign-in page may load (decoded bytes). The whole app with ECharts was 677 KB; without
 * the charts it is about a fifth of that. A bound, not a measurement: it fails when the chart
 * library is pulled into the first load again.
 */
const MAX_SIGN_IN_SCRIPT_BYTES = 250_000;

describe.skipIf(!hasChromium)('the web app on a slow link', () => {
  let t: TestPlatform;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    t = await startTestPlatform();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(pages.map((page) => page.context().close()));
    await browser?.close();
    await t?.stop();
  });

  async function scriptUrlsOfIndex(): Promise<string[]> {
    const html = await (await fetch(`${t.baseUrl}/`)).text();
    return [...html.matchAll(/src="\.?\/?([^"]+\.js)"/g)].map((m) => `${t.baseUrl}/${m[1]}`);
  }

  test('the page itself is never cached stale: index.html is revalidated on every visit', async () => {
    const res = await fetch(`${t.baseUrl}/`);
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  test('hashed scripts are served compressed (brotli or gzip) and cached for a year as immutable', async () => {
    const [script] = await scriptUrlsOfIndex();
    expect(script).toMatch(/assets\/.+-[\w-]{8}\.js$/);
    for (const encoding of ['br', 'gzip']) {
      const res = await fetch(script!, { headers: { 'accept-encoding': encoding } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(encoding);
      expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      await res.arrayBuffer();
    }
    // A client that asks for no encoding gets the plain file.
    const plain = await fetch(script!, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect((await plain.text()).length).toBeGreaterThan(0);
  });

  test('the sign-in page has a favicon, loads no chart code and logs no console error', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    pages.push(page);
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const scriptBodies: Promise<number>[] = [];
    const statuses = new Map<string, number>();
    page.on('response', (response) => {
      statuses.set(new URL(response.url()).pathname, response.status());
      if (response.request().resourceType() === 'script') scriptBodies.push(response.body().then((body) => body.length));
    });
    await page.goto(t.baseUrl);
    await page.getByLabel('User name').waitFor();
    await page.waitForLoadState('networkidle');
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(icon).toBeTruthy();
    const iconResponse = await fetch(new URL(icon!, `${t.baseUrl}/`));
    expect(iconResponse.status).toBe(200);
    expect(problems).toEqual([]);
    expect([...statuses].filter(([, status]) => status >= 400)).toEqual([]);
    const scriptBytes = await Promise.all(scriptBodies);
    expect(scriptBytes.length).toBeGreaterThan(0);
    expect(scriptBytes.reduce((sum, b) => sum + b, 0)).toBeLessThan(MAX_SIGN_IN_SCRIPT_BYTES);
  });

  test('the charts load once a page that draws one is open', async () => {
    const page = await signedInPage(browser, t.baseUrl, 'operator');
    pages.push(page);
    await page.locator('.chart canvas').first().waitFor();
  });
});
