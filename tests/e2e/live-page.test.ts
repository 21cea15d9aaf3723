import { existsSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const nowIso = () => new Date().toISOString();

// CI installs Debian's chromium (.ci/run); elsewhere the test runs when it is present.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the live page at /', () => {
  let t: TestPlatform;
  let browser: Browser;
  let page: Page;
  const clients = new Map<string, MqttClient>();

  beforeAll(async () => {
    t = await startTestPlatform();
    for (const id of ['W-001', 'W-002', 'W-003']) clients.set(id, await t.connectKiosk(id, await t.provision(id)));
    browser = await chromium.launch({
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
    page = await browser.newPage();
    await page.goto(t.baseUrl);
    await page.locator('body[data-ready="true"]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const stateOf = (id: string) => page.locator(`tr[data-kiosk="${id}"]`).getAttribute('data-state');

  test('lists every registered machine', async () => {
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);
    expect(await page.locator('#count-all').textContent()).toBe('3');
    expect(await stateOf('W-002')).toBe('unknown');
  });

  test('a machine coming online, then a blocking fault, change its row without a reload', async () => {
    const client = clients.get('W-002')!;
    await client.publishAsync('kiosks/W-002/status', JSON.stringify({ state: 'online', ts: nowIso(), bootId: 'b1' }), {
      qos: 1,
      retain: true,
    });
    await expect.poll(() => stateOf('W-002')).toBe('in_service');
    expect(await page.locator('#count-online').textContent()).toBe('1');
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
    await client.publishAsync('kiosks/W-002/events', JSON.stringify(fault), { qos: 1 });
    await expect.poll(() => stateOf('W-002')).toBe('out_of_service');
    await expect.poll(() => page.locator('tr[data-kiosk="W-002"]').textContent()).toContain('RFID_TIMEOUT');
    await expect
      .poll(() => page.locator('#alerts tbody tr[data-state="open"]').textContent())
      .toContain('rfid reader: RFID_TIMEOUT');
  });

  test("a loan shows in the machine's and the fleet's count for today", async () => {
    await clients
      .get('W-003')!
      .publishAsync('kiosks/W-003/events', JSON.stringify({ id: 'W-003-b1-1', ts: nowIso(), type: 'loan' }), { qos: 1 });
    await expect.poll(() => page.locator('#count-loans').textContent()).toBe('1');
    expect(await page.locator('tr[data-kiosk="W-003"] td').nth(6).textContent()).toBe('1');
  });
});
