import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

const nowIso = () => new Date().toISOString();

const MACHINES = [
  { id: 'CR-001', district: '朝阳', districtEn: 'Chaoyang' },
  { id: 'CR-002', district: '海淀', districtEn: 'Haidian' },
  { id: 'CR-003', district: '朝阳', districtEn: 'Chaoyang' },
  { id: 'CR-004', district: '海淀', districtEn: 'Haidian' },
];

interface AlertAnswer {
  alerts: Array<{ id: string; kioskId: string; state: string; assignee: { name: string } | null }>;
}

describe.skipIf(!hasChromium)("the maintenance crew's views", () => {
  let t: TestPlatform;
  let browser: Browser;
  const clients = new Map<string, MqttClient>();
  const pages: Page[] = [];

  const publish = (id: string, channel: string, body: object) =>
    clients.get(id)!.publishAsync(`kiosks/${id}/${channel}`, JSON.stringify({ ts: nowIso(), ...body }), {
      qos: 1,
      retain: channel === 'status',
    });
  const fault = (id: string, faultId: string, component: string, code: string, severity: string, blocksLending: boolean) =>
    publish(id, 'events', { id: `${id}-${faultId}`, type: 'fault', faultId, component, code, severity, blocksLending });
  const alertOf = async (kioskId: string) => (await t.get<AlertAnswer>(`/api/v1/alerts?kiosk=${kioskId}`)).body.alerts[0];
  const open = async (hash: string, viewport?: { width: number; height: number }) => {
    const page = await signedInPage(browser, t.baseUrl, 'maintenance', viewport);
    pages.push(page);
    await page.goto(`${t.baseUrl}/#/${hash}`);
    return page;
  };
  const cardIds = (page: Page) =>
    page.locator('#alerts .alert-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-kiosk')));

  beforeAll(async () => {
    t = await startTestPlatform();
    const admin = await t.api('admin');
    for (const m of MACHINES) {
      const res = await admin.post<{ mqtt: { password: string } }>('/api/v1/kiosks', {
        id: m.id,
        name: `Machine ${m.id}`,
        district: m.district,
        districtEn: m.districtEn,
        lat: 39.9,
        lon: 116.4,
      });
      expect(res.status).toBe(201);
      clients.set(m.id, await t.connectKiosk(m.id, res.body.mqtt.password));
      await publish(m.id, 'status', { state: 'online', bootId: 'b1' });
    }
    await admin.post('/api/v1/users', {
      username: 'crew2',
      displayName: 'Second crew member',
      role: 'maintenance',
      password: 'crew2-password-long',
      mustChangePassword: false,
    });
    await fault('CR-001', 'bin', 'return_bin', 'BIN_FULL', 'critical', true);
    await fault('CR-002', 'paper', 'receipt_printer', 'PAPER_OUT', 'major', false);
    await fault('CR-003', 'low', 'receipt_printer', 'PAPER_LOW', 'minor', false);
    await vi.waitFor(async () => expect((await t.get<AlertAnswer>('/api/v1/alerts')).body.alerts).toHaveLength(3), {
      timeout: 10_000,
    });
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('the assignee is picked from the maintenance crew and the choice is cleared after assigning', async () => {
    const page = await open('alerts');
    const card = page.locator('.alert-card[data-kiosk="CR-002"]');
    const picker = card.getByLabel('Assignee');
    await expect.poll(() => picker.locator('option').allTextContents()).toEqual(['', 'Second crew member', 'Test maintenance']);
    await picker.selectOption({ label: 'Test maintenance' });
    await card.locator('[data-action="assign"]').click();
    await expect.poll(async () => (await alertOf('CR-002'))?.assignee?.name).toBe('maintenance');
    await expect.poll(() => picker.inputValue()).toBe('');
    // The card hears of the assignment through the live push, which may come after the answer.
    await expect.poll(() => card.textContent()).toContain('Assignee: Test maintenance');
  });

  test('the crew filters alerts to those assigned to them, to a district and to a severity', async () => {
    await (
      await t.api('maintenance')
    ).post(`/api/v1/alerts/${(await alertOf('CR-002'))!.id}/assign`, { assignee: 'maintenance' });
    const page = await open('alerts');
    await expect.poll(() => cardIds(page)).toHaveLength(3);
    await page.getByLabel('Assigned to me').check();
    await expect.poll(() => cardIds(page)).toEqual(['CR-002']);
    await page.getByLabel('Assigned to me').uncheck();
    await page.getByLabel('District').selectOption('Chaoyang');
    await expect.poll(() => cardIds(page)).toEqual(['CR-001', 'CR-003']);
    await page.getByLabel('Severity').selectOption('critical');
    await expect.poll(() => cardIds(page)).toEqual(['CR-001']);
    // The district is remembered as the crew member's own.
    await page.reload();
    await page.locator('.connection-live').waitFor();
    // Its options come with the fleet: the choice shows once they are in.
    await expect.poll(() => page.getByLabel('District').inputValue()).toBe('朝阳');
  });

  test('a card keeps its place when acknowledged', async () => {
    const page = await open('alerts');
    await expect.poll(() => cardIds(page)).toHaveLength(3);
    const before = await cardIds(page);
    const first = page.locator('#alerts .alert-card').first();
    await first.locator('[data-action="ack"]').click();
    await expect.poll(() => first.getAttribute('data-state')).toBe('acknowledged');
    expect(await cardIds(page)).toEqual(before);
    // A different card is now the first open one; acknowledging it does not move it either.
    const second = page.locator(`#alerts .alert-card[data-kiosk="${before[1]}"]`);
    await second.locator('[data-action="ack"]').click();
    await expect.poll(() => second.getAttribute('data-state')).toBe('acknowledged');
    expect(await cardIds(page)).toEqual(before);
  });

  test('resolving an alert whose fault the machine still reports asks first; a resolved alert is listed as recently resolved', async () => {
    const page = await open('alerts');
    const card = page.locator('.alert-card[data-kiosk="CR-001"]');
    await card.locator('[data-action="resolve"]').click();
    const confirm = card.locator('[data-confirm="resolve"]');
    await expect.poll(() => confirm.textContent()).toContain('still reports');
    expect(await confirm.textContent()).toContain('Return bin full');
    await confirm.locator('[data-action="cancel"]').click();
    expect((await alertOf('CR-001'))?.state).not.toBe('resolved');
    await card.locator('[data-action="resolve"]').click();
    await confirm.locator('[data-action="resolve-anyway"]').click();
    await expect.poll(async () => (await alertOf('CR-001'))?.state).toBe('resolved');
    await expect.poll(() => page.locator('#resolved-alerts [data-kiosk="CR-001"]').count()).toBe(1);
    // A fault that clears on its own resolves its alert, which joins the list too.
    await publish('CR-003', 'events', { id: 'CR-003-low-cleared', type: 'fault_cleared', faultId: 'low' });
    await expect.poll(() => page.locator('#resolved-alerts [data-kiosk="CR-003"]').count()).toBe(1);
  });

  test('recording an inspection: checklist, back-dated, confirmed, the form reset, the result in words, the week Monday to Sunday', async () => {
    const page = await open('inspections');
    const week = (await t.get<{ startsAt: string }>('/api/v1/inspections')).body;
    const fmt = (ms: number) =>
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', weekday: 'short', day: 'numeric', month: 'short' }).format(
        ms,
      );
    const startMs = Date.parse(week.startsAt);
    await expect
      .poll(() => page.locator('[data-week-range]').textContent())
      .toBe(`${fmt(startMs)} – ${fmt(startMs + 6 * 86_400_000)}`);
    expect(await page.locator('[data-week-range]').textContent()).toMatch(/^Mon .* – Sun /);

    // Back-dated to five minutes after the week began (a wall time in the fleet's zone).
    const doneMs = startMs + 5 * 60_000;
    const wall = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .format(doneMs)
      .replace(' ', 'T');
    await page.getByLabel('Machine').selectOption('CR-004');
    await page.getByLabel('Result').selectOption('issues_found');
    await page.getByLabel('Inspected at').fill(wall);
    await page.locator('[data-checklist="card_reader"]').selectOption('issue');
    await page.locator('[data-checklist="door"]').selectOption('ok');
    await page.getByLabel('Note').fill('card reader slow');
    await page.locator('[data-action="record-inspection"]').click();
    await expect.poll(() => page.locator('[data-notice]').textContent()).toBe('Inspection of CR-004 recorded.');

    const history = await t.get<{
      inspections: Array<{ inspectedAt: string; result: string; checklist: Record<string, string> }>;
    }>('/api/v1/inspections/history?kiosk=CR-004');
    expect(history.body.inspections).toEqual([
      expect.objectContaining({
        inspectedAt: new Date(doneMs).toISOString(),
        result: 'issues_found',
        checklist: expect.objectContaining({ card_reader: 'issue', door: 'ok' }),
      }),
    ]);
    expect(await page.getByLabel('Machine').inputValue()).toBe('');
    expect(await page.getByLabel('Result').inputValue()).toBe('pass');
    expect(await page.getByLabel('Note').inputValue()).toBe('');
    expect(await page.locator('[data-checklist="card_reader"]').inputValue()).toBe('not_checked');
    await expect.poll(() => page.locator('[data-column="done"]').textContent()).toContain('Issues found');
    expect(await page.locator('[data-column="done"]').textContent()).not.toContain('issues_found');
  });

  describe('on a phone (390 × 844)', () => {
    const PHONE = { width: 390, height: 844 };

    test('the header is compact: the pages sit behind a menu button', async () => {
      const page = await open('', PHONE);
      const header = await page.locator('.app-header').boundingBox();
      expect(header!.height).toBeLessThanOrEqual(120);
      expect(await page.locator('[data-nav="alerts"]').isVisible()).toBe(false);
      await page.locator('[data-action="menu"]').click();
      await page.locator('[data-nav="alerts"]').click();
      await page.locator('#alerts-title').waitFor();
      expect(await page.locator('[data-nav="alerts"]').isVisible()).toBe(false);
    });

    test('every button, field and menu entry is at least 44 px tall', async () => {
      const page = await open('alerts', PHONE);
      await page.locator('#alerts .alert-card').first().waitFor();
      await page.locator('[data-action="menu"]').click();
      const small = await page
        .locator('button, select, input:not([type=checkbox]), label.checkbox, summary, .app-header a:not(.skip-link), .tile')
        .evaluateAll((elements) =>
          elements
            .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
            .map((el) => ({ what: el.outerHTML.slice(0, 80), height: el.getBoundingClientRect().height }))
            .filter((e) => e.height < 44),
        );
      expect(small).toEqual([]);
    });

    test("a machine's open faults and alerts come first on its page", async () => {
      await fault('CR-004', 'door', 'door', 'DOOR_OPEN', 'critical', true);
      const page = await open('kiosk/CR-004', PHONE);
      const faults = page.locator('[data-section="open-faults"]');
      await expect.poll(() => faults.textContent()).toContain('Service door left open');
      const [faultsBox, uptimeBox] = await Promise.all([
        faults.boundingBox(),
        page.locator('[data-section="uptime"]').boundingBox(),
      ]);
      expect(faultsBox!.y).toBeLessThan(uptimeBox!.y);
    });

    test('the critical-alert banner never covers the header', async () => {
      const page = await open('', PHONE);
      await page.locator('.tile').first().waitFor();
      await fault('CR-002', 'screen', 'screen', 'TOUCHSCREEN_FAULT', 'critical', true);
      const banner = page.locator('.critical-banner');
      await banner.waitFor();
      const [bannerBox, headerBox] = await Promise.all([banner.boundingBox(), page.locator('.app-header').boundingBox()]);
      expect(bannerBox!.y).toBeGreaterThanOrEqual(headerBox!.y + headerBox!.height - 1);
    });
  });
});
