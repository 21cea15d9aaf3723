import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { STATE_COLOURS } from '../../web/src/states.js';
import { startTestPlatform, TEST_PASSWORDS, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

const nowIso = () => new Date().toISOString();
const IDS = ['W-001', 'W-002', 'W-003'];

/** `rgb(r, g, b)` as the browser reports a computed colour. */
const rgbOf = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

describe.skipIf(!hasChromium)('the dashboard web app', () => {
  let t: TestPlatform;
  /** The dashboard's clock, held still while a report is fetched twice: its "generated at" line must match. */
  let heldAtMs: number | null = null;
  let browser: Browser;
  let crew: Page;
  const clients = new Map<string, MqttClient>();

  beforeAll(async () => {
    t = await startTestPlatform({}, { now: () => heldAtMs ?? Date.now() });
    for (const id of IDS) clients.set(id, await t.connectKiosk(id, await t.provision(id)));
    for (const [id, client] of clients) {
      await client.publishAsync(`kiosks/${id}/status`, JSON.stringify({ state: 'online', ts: nowIso(), bootId: 'b1' }), {
        qos: 1,
        retain: true,
      });
    }
    browser = await launchBrowser();
    crew = await signedInPage(browser, t.baseUrl, 'maintenance');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const tile = (page: Page, id: string) => page.locator(`.tile[data-kiosk="${id}"]`);

  test('the overview shows every machine as a tile, counted', async () => {
    await expect.poll(() => crew.locator('.tile').count()).toBe(IDS.length);
    expect(await crew.locator('#count-all').textContent()).toBe(String(IDS.length));
    await expect.poll(() => tile(crew, 'W-002').getAttribute('data-state')).toBe('in_service');
  });

  test('a fault over MQTT turns the tile to the fault colour and reaches the alerts board without a reload', async () => {
    // Count the tones of the audible cue (the sign-in click allowed the page to play sound).
    await crew.evaluate(() => {
      const create = AudioContext.prototype.createOscillator;
      Object.assign(window, { loadedOnce: true, tones: 0 });
      AudioContext.prototype.createOscillator = function (this: AudioContext) {
        (window as unknown as { tones: number }).tones += 1;
        return create.call(this);
      };
    });
    const fault = {
      id: 'W-002-b1-1',
      ts: nowIso(),
      type: 'fault',
      faultId: 'f1',
      component: 'rfid_reader',
      code: 'RFID_TIMEOUT',
      severity: 'critical',
      blocksLending: true,
    };
    await clients.get('W-002')!.publishAsync('kiosks/W-002/events', JSON.stringify(fault), { qos: 1 });
    await expect.poll(() => tile(crew, 'W-002').getAttribute('data-state')).toBe('out_of_service');
    const background = await tile(crew, 'W-002').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe(rgbOf(STATE_COLOURS.out_of_service.background));
    // The critical alert is announced (aria-live) on whatever page is open.
    await expect.poll(() => crew.locator('.critical-banner').textContent()).toContain('W-002');
    await expect.poll(() => crew.evaluate(() => (window as unknown as { tones: number }).tones)).toBe(2);

    await crew.locator('[data-nav="alerts"]').click();
    const card = crew.locator('.alert-card[data-kiosk="W-002"]');
    await expect.poll(() => card.textContent()).toContain('RFID_TIMEOUT');
    expect(await card.getAttribute('data-state')).toBe('open');
    expect(await crew.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
  });

  test('acknowledging an alert on the page is visible through the API', async () => {
    const card = crew.locator('.alert-card[data-kiosk="W-002"]');
    await card.getByLabel('Note').fill('crew on the way');
    await card.locator('[data-action="ack"]').click();
    await expect.poll(() => card.getAttribute('data-state')).toBe('acknowledged');
    const answer = await t.get<{
      alerts: Array<{ state: string; openedAt: string; acknowledged: { by: string } | null; history: unknown[] }>;
    }>('/api/v1/alerts?kiosk=W-002');
    expect(answer.body.alerts[0]?.state).toBe('acknowledged');
    expect(answer.body.alerts[0]?.acknowledged?.by).toBe('maintenance');
    // Times show in the fleet's zone (FLEET_TZ, Asia/Shanghai), not the browser's.
    const opened = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date(answer.body.alerts[0]!.openedAt));
    expect(await card.textContent()).toContain(`Opened: ${opened}`);
  });

  test("the crew records this week's inspection of a machine on the inspections board", async () => {
    await crew.locator('[data-nav="inspections"]').click();
    await expect.poll(() => crew.locator('[data-column="done"]').textContent()).toContain('(0)');
    await crew.getByLabel('Machine').selectOption('W-003');
    await crew.getByLabel('Result').selectOption('issues_found');
    await crew.locator('[data-action="record-inspection"]').click();
    await expect.poll(() => crew.locator('[data-column="done"]').textContent()).toContain('W-003');
    const week = await t.get<{ done: Array<{ kioskId: string; inspections: Array<{ result: string; inspector: string }> }> }>(
      '/api/v1/inspections',
    );
    expect(week.body.done).toEqual([
      expect.objectContaining({
        kioskId: 'W-003',
        inspections: [expect.objectContaining({ result: 'issues_found', inspector: 'Test maintenance' })],
      }),
    ]);
  });

  test('the CSV downloaded from the reports page is byte for byte the API table', async () => {
    const ts = nowIso();
    const events = [
      { id: 'W-003-b1-1', ts, type: 'loan' },
      { id: 'W-003-b1-2', ts, type: 'return' },
      { id: 'W-003-b1-3', ts, type: 'return' },
    ];
    for (const e of events) await clients.get('W-003')!.publishAsync('kiosks/W-003/events', JSON.stringify(e), { qos: 1 });
    await expect
      .poll(async () => (await t.get<{ events: unknown[] }>('/api/v1/events?kiosk=W-003&type=loan,return')).body.events.length)
      .toBe(3);
    const manager = await signedInPage(browser, t.baseUrl, 'manager');
    await manager.locator('[data-nav="reports"]').click();
    await expect.poll(() => manager.locator('#circulation-table tfoot').textContent()).toContain('3');
    heldAtMs = Date.now();
    const [download] = await Promise.all([manager.waitForEvent('download'), manager.locator('[data-download="csv"]').click()]);
    const fromPage = await download.createReadStream().then(async (stream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
    const href = await manager.locator('[data-download="csv"]').getAttribute('href');
    const api = await t.api('manager');
    const res = await fetch(`${t.baseUrl}/${href}`, { headers: api.headers });
    expect(res.status).toBe(200);
    const fromApi = Buffer.from(await res.arrayBuffer());
    heldAtMs = null;
    expect(fromPage.equals(fromApi)).toBe(true);
    expect(fromPage.toString('utf8')).toMatch(/^total,1,2,3\r?$/m);
    await manager.context().close();
  });

  test('switching to Chinese shows Chinese labels, and the choice survives a reload', async () => {
    const page = await signedInPage(browser, t.baseUrl, 'operator');
    await page.locator('button[data-lang="zh"]').click();
    await expect.poll(() => page.locator('[data-nav="alerts"]').textContent()).toContain('告警');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.title()).toBe('自助图书馆监控');
    await page.reload();
    await page.locator('.connection-live').waitFor();
    expect(await page.locator('[data-nav="overview"]').textContent()).toBe('总览');
    expect(await page.locator('[data-count="all"]').textContent()).toContain('设备');
    await page.context().close();
  });

  test('a wrong password is refused on the login screen with the reason', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(t.baseUrl);
    await page.evaluate(() => localStorage.setItem('kiosk-fleet.lang', 'en'));
    await page.reload();
    await page.getByLabel('User name').fill('operator');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('.error[data-code="INVALID_CREDENTIALS"]');
    await expect.poll(() => error.textContent()).toContain('Wrong user name or password');
    await context.close();
  });

  test("the machine page charts the machine's health readings", async () => {
    const client = clients.get('W-001')!;
    for (const [minutesAgo, temperatureC] of [
      [20, 21.5],
      [10, 23],
    ] as const) {
      const ts = new Date(Date.now() - minutesAgo * 60_000).toISOString();
      await client.publishAsync('kiosks/W-001/telemetry', JSON.stringify({ ts, temperatureC, paperPercent: 80 }), { qos: 1 });
    }
    await expect
      .poll(async () => (await t.get<{ kiosk: { telemetry: unknown } }>('/api/v1/kiosks/W-001')).body.kiosk.telemetry)
      .not.toBeNull();
    const page = await signedInPage(browser, t.baseUrl, 'manager');
    await page.goto(`${t.baseUrl}/#/kiosk/W-001`);
    await expect.poll(() => page.locator('.mini-chart').first().getAttribute('data-readings')).toBe('2');
    await page.context().close();
  });

  test('an operator pauses a machine with a reason: the tile turns paused and the API records who and why', async () => {
    const operator = await signedInPage(browser, t.baseUrl, 'operator');
    await operator.goto(`${t.baseUrl}/#/kiosk/W-001`);
    await operator.locator('.machine[data-kiosk="W-001"]').waitFor();
    // In service: Pause and Withdraw; Resume only once it is paused.
    expect(await operator.locator('button[data-command]').count()).toBe(2);
    await operator.locator('button[data-command="pause"]').click();
    await expect.poll(() => operator.locator('.error[data-code="REASON_REQUIRED"]').count()).toBe(1);
    await operator.getByLabel('Reason').fill('road works at the site');
    await operator.locator('button[data-command="pause"]').click();
    await expect.poll(() => operator.locator('.badge').getAttribute('data-state')).toBe('paused');
    const answer = await t.get<{ commands: Array<{ type: string; reason: string; by: string }> }>(
      '/api/v1/kiosks/W-001/commands',
    );
    expect(answer.body.commands[0]).toMatchObject({ type: 'pause', reason: 'road works at the site', by: 'operator' });
    await operator.goto(`${t.baseUrl}/#/`);
    await expect.poll(() => tile(operator, 'W-001').getAttribute('data-state')).toBe('paused');
    await operator.context().close();
  });

  test('a first sign-in with a temporary password must choose a new one, then the fleet shows', async () => {
    await t.platform.auth.users.create({
      username: 'newcrew',
      displayName: 'New crew member',
      role: 'maintenance',
      password: 'temporary-password-1',
      mustChangePassword: true,
    });
    const context = await browser.newContext({ locale: 'en-GB' });
    await context.addInitScript(() => localStorage.setItem('kiosk-fleet.lang', 'en'));
    const page = await context.newPage();
    await page.goto(t.baseUrl);
    await page.getByLabel('User name').fill('newcrew');
    await page.getByLabel('Password').fill('temporary-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Current password').fill('temporary-password-1');
    await page.getByLabel('New password', { exact: true }).fill('a-new-long-password');
    await page.getByLabel('Repeat the new password').fill('a-new-long-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('.connection-live').waitFor();
    expect(await page.locator('.user').textContent()).toContain('New crew member');
    await expect.poll(() => page.locator('.tile').count()).toBe(IDS.length);
    await context.close();
  });

  test('logging out shows the login screen; signing in again resyncs from a fresh snapshot', async () => {
    const page = await signedInPage(browser, t.baseUrl, 'operator');
    await expect.poll(() => tile(page, 'W-003').getAttribute('data-state')).toBe('in_service');
    await page.locator('[data-action="logout"]').click();
    await page.getByLabel('User name').waitFor();
    // While nobody watches, the machine goes offline.
    await clients.get('W-003')!.publishAsync('kiosks/W-003/status', JSON.stringify({ state: 'offline', ts: nowIso() }), {
      qos: 1,
      retain: true,
    });
    await expect
      .poll(async () => (await t.get<{ kiosk: { serviceState: string } }>('/api/v1/kiosks/W-003')).body.kiosk.serviceState)
      .toBe('offline');
    await page.getByLabel('User name').fill('operator');
    await page.getByLabel('Password').fill(TEST_PASSWORDS.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => tile(page, 'W-003').getAttribute('data-state')).toBe('offline');
    await page.context().close();
  });

  test('the crew, who may not command machines, sees no command buttons and no reports', async () => {
    await crew.goto(`${t.baseUrl}/#/kiosk/W-001`);
    await crew.locator('.machine[data-kiosk="W-001"]').waitFor();
    expect(await crew.locator('button[data-command]').count()).toBe(0);
    expect(await crew.locator('[data-nav="reports"]').count()).toBe(0);
  });

  test('every view renders without a script error or a blocked resource (the CSP included)', async () => {
    const page = await signedInPage(browser, t.baseUrl, 'admin');
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const views: Array<[string, string]> = [
      ['', '.tiles'],
      ['kiosk/W-002', '.machine .timeline'],
      ['alerts', '#alerts-title'],
      ['inspections', '[data-column="done"]'],
      ['reservations', '#reservations-title'],
      ['reports', '#indicators-table'],
    ];
    for (const [hash, ready] of views) {
      await page.goto(`${t.baseUrl}/#/${hash}`);
      await page.locator(ready).first().waitFor();
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
