import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

const nowIso = () => new Date().toISOString();
const IDS = ['A-001', 'A-002', 'A-003'];
/** The WCAG 2.0 and 2.1 success criteria of levels A and AA, as axe-core tags its rules. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface AxeResult {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{
    target: unknown[];
    failureSummary?: string;
    any: Array<{ data: { contrastRatio?: number; expectedContrastRatio?: string } | null }>;
  }>;
}
declare const axe: {
  run(context: Document, options: Record<string, unknown>): Promise<{ violations: AxeResult[]; incomplete: AxeResult[] }>;
};

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Whether axe measured a contrast below the minimum but left it for review: it does so for text of
 * a character or two (a fault count, a digit), which is exactly what a crew reads at a glance.
 */
const isMeasuredLowContrast = (node: AxeResult['nodes'][number]) =>
  node.any.some(
    ({ data }) =>
      typeof data?.contrastRatio === 'number' &&
      data.contrastRatio > 0 &&
      data.contrastRatio < Number.parseFloat(data.expectedContrastRatio ?? '4.5'),
  );

/**
 * Runs axe-core on the page as it is. The page's CSP forbids inline scripts, so axe is not added
 * as a script tag: it is evaluated through the DevTools protocol, which the CSP does not govern.
 * Violations come back as one readable line per element, so a failure says what and where.
 */
async function violationsOf(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource);
  const result = await page.evaluate(
    (tags) => axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations', 'incomplete'] }),
    WCAG_TAGS,
  );
  const lowContrast = result.incomplete
    .filter((r) => r.id === 'color-contrast')
    .flatMap((r) => r.nodes.filter(isMeasuredLowContrast))
    .map((n) => `color-contrast (measured) ${JSON.stringify(n.target)}: ${JSON.stringify(n.any[0]?.data)}`);
  return [
    ...result.violations.flatMap((v) =>
      v.nodes.map((n) => `${v.id} (${v.impact}) ${JSON.stringify(n.target)}: ${n.failureSummary ?? v.help}`),
    ),
    ...lowContrast,
  ];
}

/** Presses Tab until the focused element matches `selector`; returns how many presses that took. */
async function tabTo(page: Page, selector: string, maxPresses = 40): Promise<number> {
  for (let presses = 1; presses <= maxPresses; presses++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return presses;
  }
  throw new Error(`Tab never reached ${selector} in ${maxPresses} presses`);
}

describe.skipIf(!hasChromium)('accessibility of every view (axe-core, WCAG 2.1 A and AA)', () => {
  let t: TestPlatform;
  let browser: Browser;
  let page: Page;
  const clients = new Map<string, MqttClient>();

  beforeAll(async () => {
    t = await startTestPlatform();
    for (const id of IDS) clients.set(id, await t.connectKiosk(id, await t.provision(id)));
    for (const [id, client] of clients) {
      await client.publishAsync(`kiosks/${id}/status`, JSON.stringify({ state: 'online', ts: nowIso(), bootId: 'b1' }), {
        qos: 1,
        retain: true,
      });
    }
    // Health readings, so the machine page draws its charts.
    for (const minutesAgo of [30, 20, 10]) {
      const ts = new Date(Date.now() - minutesAgo * 60_000).toISOString();
      await clients
        .get('A-001')!
        .publishAsync('kiosks/A-001/telemetry', JSON.stringify({ ts, temperatureC: 22, paperPercent: 70 }), { qos: 1 });
    }
    // An outstanding reservation for the reservations board.
    const admin = await t.api('admin');
    const created = await admin.post('/api/v1/reservations', {
      reservationId: 'ACC-1',
      createdAt: new Date(Date.now() - 3_600_000).toISOString(),
      destination: { kind: 'kiosk', kioskId: 'A-001' },
    });
    expect(created.status).toBe(201);
    browser = await launchBrowser();
    page = await signedInPage(browser, t.baseUrl, 'admin');
    // Faults after sign-in: the critical one raises the banner; the other leaves a machine degraded
    // with a fault count on a light tile.
    const faults: Array<[string, string, boolean]> = [
      ['A-002', 'critical', true],
      ['A-003', 'minor', false],
    ];
    for (const [id, severity, blocksLending] of faults) {
      const fault = {
        id: `${id}-b1-1`,
        ts: nowIso(),
        type: 'fault',
        faultId: 'f1',
        component: 'rfid_reader',
        code: 'RFID_TIMEOUT',
      };
      await clients
        .get(id)!
        .publishAsync(`kiosks/${id}/events`, JSON.stringify({ ...fault, severity, blocksLending }), { qos: 1 });
    }
    await page.locator('.critical-banner').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('axe is injected past the strict CSP by evaluation, where a script tag is refused', async () => {
    const csp = (await page.request.get(t.baseUrl)).headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    await expect(page.addScriptTag({ content: 'window.inlineRan = true' })).rejects.toThrow();
    expect(await page.evaluate(() => 'inlineRan' in window)).toBe(false);
    await page.evaluate(await axeSource);
    expect(await page.evaluate(() => typeof axe.run)).toBe('function');
  });

  test('the login screen, its error and the first-sign-in password screen have no violations, in English and in Chinese', async () => {
    await t.platform.auth.users.create({
      username: 'firstlogin',
      displayName: 'First login',
      role: 'maintenance',
      password: 'temporary-password-1',
      mustChangePassword: true,
    });
    const context = await browser.newContext({ locale: 'en-GB' });
    const login = await context.newPage();
    await login.goto(t.baseUrl);
    await login.evaluate(() => localStorage.setItem('kiosk-fleet.lang', 'en'));
    await login.reload();
    const signIn = async (username: string, password: string) => {
      await login.locator('input[name="username"]').fill(username);
      await login.locator('input[name="password"]').fill(password);
      await login.locator('button[type="submit"]').click();
    };
    await login.getByLabel('User name').waitFor();
    const found: Record<string, string[]> = { 'login en': await violationsOf(login) };
    await login.locator('button[data-lang="zh"]').click();
    await expect.poll(() => login.locator('html').getAttribute('lang')).toBe('zh-CN');
    found['login zh'] = await violationsOf(login);
    await signIn('firstlogin', 'not-the-password');
    await login.locator('.error[data-code="INVALID_CREDENTIALS"]').waitFor();
    found['login error zh'] = await violationsOf(login);
    await signIn('firstlogin', 'temporary-password-1');
    await login.locator('input[name="newPassword"]').waitFor();
    found['password zh'] = await violationsOf(login);
    await login.locator('input[name="newPassword"]').fill('a-new-long-password');
    await login.locator('input[name="repeatPassword"]').fill('a-different-password');
    await login.locator('[aria-invalid="true"]').waitFor();
    found['password mismatch zh'] = await violationsOf(login);
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    await context.close();
  });

  /** Each view and what shows once its data is there. */
  const VIEWS: Array<[string, string]> = [
    ['', '.tile[data-kiosk="A-003"] .tile-faults'],
    ['kiosk/A-001', '.mini-chart[data-readings="3"]'],
    ['kiosk/A-002', '.machine[data-kiosk="A-002"] .severity'],
    ['alerts', '.alert-card[data-kiosk="A-002"] [data-action="ack"]'],
    ['inspections', '[data-column="done"]'],
    ['reservations', 'tr[data-reservation="ACC-1"]'],
    ['notifications', '#notifications-title'],
    ['reports', '#indicators-table'],
  ];

  test.each([
    ['en', 'en'],
    ['zh', 'zh-CN'],
  ])('every signed-in view has no violations in %s', async (lang, htmlLang) => {
    await page.locator(`button[data-lang="${lang}"]`).click();
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(htmlLang);
    const found: Record<string, string[]> = {};
    for (const [hash, ready] of VIEWS) {
      await page.goto(`${t.baseUrl}/#/${hash}`);
      await page.locator(ready).first().waitFor();
      found[hash || 'overview'] = await violationsOf(page);
    }
    // One view's violations do not hide another's.
    expect(found).toEqual(Object.fromEntries(VIEWS.map(([hash]) => [hash || 'overview', []])));
  });

  test('every chart is an image with a name and a description of its data', async () => {
    await page.locator('button[data-lang="en"]').click();
    await page.goto(`${t.baseUrl}/#/kiosk/A-001`);
    await page.locator('.mini-chart[data-readings="3"]').first().waitFor();
    const describedBy = (name: string) =>
      page
        .getByRole('img', { name, exact: true })
        .evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
    expect(await describedBy('Temperature (°C)')).toBe('3 readings in the last 24 hours: latest 22, lowest 22, highest 22.');
    expect(await describedBy('Paper (%)')).toBe('3 readings in the last 24 hours: latest 70, lowest 70, highest 70.');
    await page.goto(`${t.baseUrl}/#/`);
    await page.locator('.tiles .tile').first().waitFor();
    await expect
      .poll(() => describedBy('Machines by location, coloured by service state'))
      .toMatch(/^3 machines on the map: .*Out of service 1/);
  });

  test('the keyboard alone reaches every view through the header navigation, in order', async () => {
    await page.locator('button[data-lang="en"]').click();
    await page.goto(`${t.baseUrl}/#/reports`);
    await page.reload(); // a fresh document: Tab starts from its top
    await page.locator('#indicators-table').waitFor();
    expect(await tabTo(page, '.skip-link')).toBe(1);
    const route: Array<[string, string, string]> = [
      ['overview', '#/', '.tiles'],
      ['alerts', '#/alerts', '#alerts-title'],
      ['inspections', '#/inspections', '#inspections-title'],
      ['reservations', '#/reservations', '#reservations-title'],
      ['notifications', '#/notifications', '#notifications-title'],
      ['reports', '#/reports', '#circulation-title'],
    ];
    for (const [nav, hash, ready] of route) {
      // Each link is the very next stop after the one before: nothing hidden sits between them.
      expect({ nav, presses: await tabTo(page, `[data-nav="${nav}"]`) }).toEqual({ nav, presses: 1 });
      await page.keyboard.press('Enter');
      await page.locator(ready).first().waitFor();
      expect(new URL(page.url()).hash || '#/').toBe(hash);
      expect(await page.locator(`[data-nav="${nav}"]`).getAttribute('aria-current')).toBe('page');
    }
  });

  test('the skip link moves the focus to the main content', async () => {
    await page.reload();
    await page.locator('#indicators-table').waitFor();
    await tabTo(page, '.skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
  });

  test("an alert is acknowledged with Tab and Enter, and the focus stays in the alert's card", async () => {
    await page.goto(`${t.baseUrl}/#/`);
    await page.reload();
    await page.locator('.tiles').waitFor();
    await tabTo(page, '[data-nav="alerts"]');
    await page.keyboard.press('Enter');
    const card = page.locator('.alert-card[data-kiosk="A-002"]');
    await card.locator('[data-action="ack"]').waitFor();
    await tabTo(page, '.alert-card[data-kiosk="A-002"] [data-action="ack"]');
    await page.keyboard.press('Enter');
    await expect.poll(() => card.getAttribute('data-state')).toBe('acknowledged');
    const answer = await t.get<{ alerts: Array<{ state: string; acknowledged: { by: string } | null }> }>(
      '/api/v1/alerts?kiosk=A-002',
    );
    expect(answer.body.alerts[0]).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'admin' } });
    // The acknowledge button is gone: the focus went on to Resolve, not back to the top of the page.
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.action)).toBe('resolve');
    expect(await page.evaluate(() => document.activeElement?.closest('.alert-card')?.getAttribute('data-kiosk'))).toBe('A-002');
  });
});
