import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHttpReceiver } from '../notify/receivers.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

describe.skipIf(!hasChromium)('the notifications page', () => {
  let dir: string;
  let t: TestPlatform;
  let hook: Awaited<ReturnType<typeof startHttpReceiver>>;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-notify-page-'));
    hook = await startHttpReceiver();
    await writeFile(
      join(dir, 'notify.json'),
      JSON.stringify({
        channels: [{ name: 'crew-hook', type: 'webhook', url: `${hook.url}/hook` }],
        rules: [{ channels: ['crew-hook'] }],
      }),
    );
    t = await startTestPlatform({ NOTIFY_CONFIG: join(dir, 'notify.json') });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await hook?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = async (role: 'operator' | 'maintenance') => {
    const page = await signedInPage(browser, t.baseUrl, role);
    pages.push(page);
    await page.locator('[data-nav="notifications"]').click();
    await page.locator('#channels tr[data-channel="crew-hook"]').waitFor();
    return page;
  };

  test('an operator sends a test message to a channel from its row; the receiver gets it', async () => {
    const page = await open('operator');
    expect(await page.locator('#channels tr[data-channel="crew-hook"]').getAttribute('data-state')).toBe('ok');
    await page.locator('#channels tr[data-channel="crew-hook"] [data-action="test"]').click();
    await expect.poll(() => page.locator('[data-notice]').textContent()).toBe('Test message queued for crew-hook.');
    await expect.poll(() => hook.received.map((r) => (r.body as { type: string }).type), { timeout: 5_000 }).toEqual(['test']);
  });

  test('the maintenance crew sees the channels but has no test button', async () => {
    const page = await open('maintenance');
    expect(await page.locator('[data-action="test"]').count()).toBe(0);
  });
});
