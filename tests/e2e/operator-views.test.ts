import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { STATE_COLOURS } from '../../web/src/states.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';
import { findColourOnMap } from './map-canvas.js';

const nowIso = () => new Date().toISOString();

/** Two machines on one spot (one in service, one out of service) and two elsewhere. */
const MACHINES = [
  { id: 'OP-001', district: '朝阳', districtEn: 'Chaoyang', lat: 39.92, lon: 116.44 },
  { id: 'OP-002', district: '朝阳', districtEn: 'Chaoyang', lat: 39.92, lon: 116.44 },
  { id: 'OP-003', district: '海淀', districtEn: 'Haidian', lat: 39.98, lon: 116.3 },
  { id: 'HD-00041', district: '海淀', districtEn: 'Haidian', lat: 39.96, lon: 116.32 },
];

describe.skipIf(!hasChromium)("the operator's views", () => {
  let t: TestPlatform;
  let browser: Browser;
  const clients = new Map<string, MqttClient>();
  const pages: Page[] = [];

  const publish = (id: string, channel: string, body: object) =>
    clients.get(id)!.publishAsync(`kiosks/${id}/${channel}`, JSON.stringify({ ts: nowIso(), ...body }), {
      qos: 1,
      retain: channel === 'status',
    });
  const fault = (id: string, faultId: string, component: string, code: string, severity = 'critical') =>
    publish(id, 'events', {
      id: `${id}-${faultId}`,
      type: 'fault',
      faultId,
      component,
      code,
      severity,
      blocksLending: severity === 'critical',
    });
  const open = async (hash = '') => {
    const page = await signedInPage(browser, t.baseUrl, 'operator');
    pages.push(page);
    await page.goto(`${t.baseUrl}/#/${hash}`);
    return page;
  };
  const tile = (page: Page, id: string) => page.locator(`.tile[data-kiosk="${id}"]`);
  const stateOf = async (id: string) =>
    (await t.get<{ kiosk: { serviceState: string } }>(`/api/v1/kiosks/${id}`)).body.kiosk.serviceState;

  beforeAll(async () => {
    t = await startTestPlatform();
    const admin = await t.api('admin');
    for (const m of MACHINES) {
      const res = await admin.post<{ mqtt: { password: string } }>('/api/v1/kiosks', {
        id: m.id,
        name: `Machine ${m.id}`,
        district: m.district,
        districtEn: m.districtEn,
        lat: m.lat,
        lon: m.lon,
      });
      expect(res.status).toBe(201);
      clients.set(m.id, await t.connectKiosk(m.id, res.body.mqtt.password));
      await publish(m.id, 'status', { state: 'online', bootId: 'b1' });
    }
    await fault('OP-002', 'bin', 'return_bin', 'BIN_FULL');
    await vi.waitFor(async () => expect(await stateOf('OP-002')).toBe('out_of_service'), { timeout: 10_000 });
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('a machine out of service says why in words on its tile, in the map hover and in its header', async () => {
    const page = await open();
    await expect.poll(() => tile(page, 'OP-002').locator('.tile-reason').textContent()).toBe('Return bin full');
    await expect.poll(() => findColourOnMap(page, STATE_COLOURS.out_of_service.background)).not.toBeNull();
    const red = await findColourOnMap(page, STATE_COLOURS.out_of_service.background);
    await page.mouse.move(red!.x, red!.y);
    const tooltip = page.locator('.map .chart > div').filter({ hasText: 'OP-002' });
    await expect.poll(() => tooltip.textContent()).toContain('Out of service: Return bin full');

    await page.goto(`${t.baseUrl}/#/kiosk/OP-002`);
    await expect.poll(() => page.locator('.machine-head .badge').textContent()).toBe('Out of service: Return bin full');
    await page.locator('button[data-lang="zh"]').click();
    await expect.poll(() => page.locator('.machine-head .badge').textContent()).toBe('停止服务：还书箱已满');
  });

  test("a tile's id never breaks at its dash, even beside its fault count", async () => {
    await fault('HD-00041', 'low', 'receipt_printer', 'PAPER_LOW', 'minor');
    await fault('HD-00041', 'temp', 'climate', 'TEMP_HIGH', 'major');
    const page = await open();
    await expect.poll(() => tile(page, 'HD-00041').locator('.tile-faults').textContent()).toContain('2');
    const id = tile(page, 'HD-00041').locator('.tile-id');
    // One line: no taller than one line of its font (a break at the dash doubles it).
    const { height, fontPx } = await id.evaluate((el) => ({
      height: el.getBoundingClientRect().height,
      fontPx: parseFloat(getComputedStyle(el).fontSize),
    }));
    expect(height).toBeLessThan(fontPx * 1.6);
    expect(await id.evaluate((el) => el.scrollWidth <= el.parentElement!.clientWidth)).toBe(true);
  });

  test('the map follows the state filter, and draws the machine out of service above and larger than the one in service on its spot', async () => {
    const page = await open();
    await expect.poll(() => page.locator('.map [data-chart-description]').textContent()).toContain('4 machines on the map');
    await expect.poll(() => findColourOnMap(page, STATE_COLOURS.out_of_service.background)).not.toBeNull();
    const green = await findColourOnMap(page, STATE_COLOURS.in_service.background);
    const red = await findColourOnMap(page, STATE_COLOURS.out_of_service.background);
    // OP-001 and OP-002 share a spot: the red mark covers the green one and shows round it.
    expect(red!.pixels).toBeGreaterThan(green?.pixels ?? 0);
    // District names are written on the map (their dark grey text is drawn; no machine is offline).
    expect(await findColourOnMap(page, '#3b4450', 24)).not.toBeNull();

    await page.locator('[data-count="out_of_service"]').click();
    await expect.poll(() => page.locator('.map [data-chart-description]').textContent()).toContain('1 machines on the map');
    await expect.poll(() => findColourOnMap(page, STATE_COLOURS.in_service.background)).toBeNull();
    expect(await findColourOnMap(page, STATE_COLOURS.out_of_service.background)).not.toBeNull();
  });

  test('a machine without health readings says "no readings yet" instead of drawing empty axes', async () => {
    const page = await open('kiosk/OP-001');
    const chart = page.locator('.mini-chart[data-reading="temperatureC"]');
    await expect.poll(() => chart.locator('.no-readings').textContent()).toBe('No readings yet.');
    expect(await chart.locator('canvas').count()).toBe(0);
  });

  test("the state timeline draws a machine first heard from today at today's end of the week, not at its start", async () => {
    const page = await open('kiosk/OP-001');
    const strip = page.locator('.machine .timeline');
    await strip.locator('li').first().waitFor();
    const [stripBox, firstBox] = await Promise.all([strip.boundingBox(), strip.locator('li').first().boundingBox()]);
    // The machine was provisioned seconds ago: its first segment starts in the last day of seven.
    expect(firstBox!.x - stripBox!.x).toBeGreaterThan(stripBox!.width * (6 / 7));
  });

  test('Pause and Withdraw are offered in service, Resume only when paused; Withdraw asks first', async () => {
    const page = await open('kiosk/OP-001');
    await page.locator('.machine[data-kiosk="OP-001"]').waitFor();
    await expect
      .poll(() => page.locator('button[data-command]').evaluateAll((bs) => bs.map((b) => b.dataset.command)))
      .toEqual(['pause', 'withdraw']);
    await page.getByLabel('Reason').fill('moving it to the library hall');
    await page.locator('button[data-command="withdraw"]').click();
    const confirm = page.locator('[data-confirm="withdraw"]');
    await expect.poll(() => confirm.textContent()).toContain('OP-001');
    await confirm.locator('[data-action="cancel"]').click();
    expect(await confirm.count()).toBe(0);
    const commands = async () => (await t.get<{ commands: unknown[] }>('/api/v1/kiosks/OP-001/commands')).body.commands.length;
    expect(await commands()).toBe(0);

    await page.locator('button[data-command="pause"]').click();
    await expect.poll(() => page.locator('.badge').getAttribute('data-state')).toBe('paused');
    await expect
      .poll(() => page.locator('button[data-command]').evaluateAll((bs) => bs.map((b) => b.dataset.command)))
      .toEqual(['resume', 'withdraw']);
  });

  test('a paused machine with an open fault shows the fault; when it clears, the operator is reminded to resume', async () => {
    await fault('OP-003', 'jam', 'shelf_mechanism', 'SHELF_JAM');
    await expect.poll(() => stateOf('OP-003')).toBe('out_of_service');
    const page = await open('kiosk/OP-003');
    await page.getByLabel('Reason').fill('waiting for the shelf engineer');
    await page.locator('button[data-command="pause"]').click();
    await expect.poll(() => page.locator('.badge').getAttribute('data-state')).toBe('paused');
    expect(await page.locator('.badge').textContent()).toBe('Paused: Shelf mechanism jammed');
    expect(await page.locator('[data-reminder="resume"]').count()).toBe(0);

    await page.goto(`${t.baseUrl}/#/`);
    await expect.poll(() => tile(page, 'OP-003').getAttribute('data-state')).toBe('paused');
    expect(await tile(page, 'OP-003').getAttribute('data-fault')).toBe('true');
    expect(await tile(page, 'OP-003').locator('.tile-reason').textContent()).toBe('Shelf mechanism jammed');

    await publish('OP-003', 'events', { id: 'OP-003-jam-cleared', type: 'fault_cleared', faultId: 'jam' });
    await expect.poll(() => tile(page, 'OP-003').getAttribute('data-fault')).toBe('false');
    const reminder = page.locator('[data-reminder="resume"]');
    await expect.poll(() => reminder.textContent()).toContain('OP-003');
    await reminder.locator('a').first().click();
    await expect.poll(() => page.locator('.machine [data-reminder="resume"]').textContent()).toContain('resume');
    expect(await page.locator('button[data-command="resume"]').count()).toBe(1);
  });
});
