import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { TEST_PASSWORDS } from '../support/platform-harness.js';

/** `CHROMIUM_PATH`, else the first `chromium` or `chromium-browser` on the PATH, else Debian's path. */
function findChromium(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser'])
    for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  return '/usr/bin/chromium';
}

export const CHROMIUM = findChromium();
/**
 * CI installs Debian's chromium (.ci/run); elsewhere the browser tests run when it is present. In CI
 * they never skip: a missing browser fails them.
 */
export const hasChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);

/** Headless Debian Chromium, kept off the network except for the page under test. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

type Role = keyof typeof TEST_PASSWORDS;

/** A fresh browser context signed in through the login screen as the seeded user of a role. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  role: Role,
  viewport = { width: 1280, height: 800 },
): Promise<Page> {
  // The browser sits in another time zone than the fleet (Asia/Shanghai): pages must not use the browser's.
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-GB', timezoneId: 'Europe/London' });
  await context.addInitScript(() => {
    if (!localStorage.getItem('kiosk-fleet.lang')) localStorage.setItem('kiosk-fleet.lang', 'en');
  });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.getByLabel('User name').fill(role);
  await page.getByLabel('Password').fill(TEST_PASSWORDS[role]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.connection-live').waitFor();
  return page;
}
