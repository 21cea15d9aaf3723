import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

/**
 * Latin-script words a Chinese page may show: codes and ids, unit symbols, file formats and
 * protocol names, proper names. Everything else in Latin script is an untranslated text.
 */
const ALLOWED_WORDS = new Set([
  // file formats, protocols, products, names of things
  'CSV',
  'XLSX',
  'MQTT',
  'API',
  'ID',
  'English',
  'RFID',
  'Asia/Shanghai',
  'Authorization',
  'Bearer',
  'Ctrl',
  'C',
  'WeCom',
  'DingTalk',
  'webhook',
  'email',
  'NOTIFY_CONFIG',
  // unit symbols
  'h',
  'min',
  'd',
  'km',
  'C',
  // the seeded test accounts (their user names and display names are data, as a person's name is)
  'Test',
  'admin',
  'operator',
  'maintenance',
  'manager',
  'Administrator',
]);
/** Machine ids (CY-001, SIM-0071), alert, reservation and event ids, firmware and model names, codes in capitals. */
const isCodeOrId = (word: string) =>
  /^[A-Z0-9]+(?:[-_][A-Za-z0-9]+)+$/.test(word) ||
  /^[A-Z][A-Z0-9_]{1,}$/.test(word) ||
  /\d/.test(word) ||
  /^[a-z]+-\d/.test(word);

/** Characters to insert, delete or replace to turn one name into the other. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

/** The Latin-script words on the page that are neither allowed nor codes, with where they stand. */
async function untranslated(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    // Folded parts (an alert's history) count too.
    for (const details of document.querySelectorAll('details')) details.open = true;
    const parts: string[] = [document.title];
    for (const el of document.querySelectorAll<HTMLElement>('[aria-label], [title], [placeholder]'))
      parts.push(el.getAttribute('aria-label') ?? '', el.getAttribute('title') ?? '', el.getAttribute('placeholder') ?? '');
    // Text marked translate="no" is data (a person's words, a request's detail), not the page's.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      // A code element holds a code (an audit action, a fault code), which stays as it is.
      if (!parent || parent.closest('[translate="no"], code, script, style, [hidden]') || !parent.checkVisibility()) continue;
      parts.push(node.textContent ?? '');
    }
    return parts.join('\n');
  });
  const found = new Set<string>();
  for (const line of text.split('\n'))
    for (const word of line.match(/[A-Za-z][A-Za-z0-9_./:-]*/g) ?? []) {
      const bare = word.replace(/[.:/-]+$/, '');
      if (ALLOWED_WORDS.has(bare) || isCodeOrId(bare)) continue;
      found.add(`${bare}  ←  ${line.trim().slice(0, 80)}`);
    }
  return [...found];
}

describe.skipIf(!hasChromium)('the web app in 中文', () => {
  let t: TestPlatform;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // A simulated fleet with a few days of history: alerts, faults, inspections, reservations, reports.
    t = await startTestPlatform({ SIM_KIOSKS: '6', SIM_HISTORY_DAYS: '10', SIM_SPEED: '200000', SIM_BATCH: '100' });
    // A machine with a critical and a minor fault: alert titles, fault names, the critical banner.
    // Registered with a Chinese name: a machine's name is the registry's data, not the page's text.
    const registered = await (
      await t.api('admin')
    ).post<{ mqtt: { password: string } }>('/api/v1/kiosks', {
      id: 'Z-001',
      name: '测试设备',
      district: '测试区',
      lat: 39.9,
      lon: 116.4,
    });
    const client = await t.connectKiosk('Z-001', registered.body.mqtt.password);
    const ts = () => new Date().toISOString();
    await client.publishAsync('kiosks/Z-001/status', JSON.stringify({ state: 'online', ts: ts(), bootId: 'b1' }), {
      qos: 1,
      retain: true,
    });
    for (const [n, component, code, severity] of [
      [1, 'rfid_reader', 'RFID_TIMEOUT', 'critical'],
      [2, 'return_bin', 'BIN_NEARLY_FULL', 'minor'],
    ] as const) {
      const fault = {
        id: `Z-001-b1-${n}`,
        ts: ts(),
        type: 'fault',
        faultId: `f${n}`,
        component,
        code,
        severity,
        blocksLending: n === 1,
      };
      await client.publishAsync('kiosks/Z-001/events', JSON.stringify(fault), { qos: 1 });
    }
    await vi.waitFor(async () =>
      expect((await t.get<{ alerts: unknown[] }>('/api/v1/alerts?kiosk=Z-001')).body.alerts).toHaveLength(2),
    );
    const admin = await t.api('admin');
    const [first] = (await t.get<{ alerts: { id: string }[] }>('/api/v1/alerts?kiosk=Z-001')).body.alerts;
    await admin.post(`/api/v1/alerts/${first!.id}/ack`, { note: '马上到' });
    await admin.post(`/api/v1/alerts/${first!.id}/comment`, { text: '备件已带' });
    browser = await launchBrowser();
    page = await signedInPage(browser, t.baseUrl, 'admin');
    await page.locator('button[data-lang="zh"]').click();
    // Caught up: the fleet has its history.
    await vi.waitFor(() => expect(t.platform.simulator!.catchingUpAtMs()).toBeNull(), { timeout: 60_000, interval: 500 });
    expect((await admin.post('/api/v1/kiosks/CY-001/commands', { type: 'pause', reason: '清洁' })).status).toBeLessThan(300);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const PAGES: Array<[string, string, string]> = [
    ['the fleet overview', '', '.tile'],
    ['a machine', 'kiosk/CY-001', '.machine'],
    ['a machine with faults', 'kiosk/Z-001', '.machine'],
    ['the alerts board', 'alerts', '#alerts-title'],
    ['the notifications page', 'notifications', 'main h1'],
    ['the inspections page', 'inspections', '#inspections-title'],
    ['the reservations page', 'reservations', '#reservations-title'],
    ['the reports page', 'reports', '#circulation-table'],
    ['the administration page', 'admin', '#audit-table'],
  ];

  test.each(PAGES)('%s has no untranslated English', async (_name, hash, ready) => {
    await page.goto(`${t.baseUrl}/#/${hash}`);
    await page.locator(ready).first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    expect(await untranslated(page)).toEqual([]);
  });

  test('the report month pickers name the months in Chinese, whatever the browser language', async () => {
    await page.goto(`${t.baseUrl}/#/reports`);
    await page.locator('#circulation-table').waitFor();
    const months = page.locator('select[name="from-month"] option');
    expect(await months.allTextContents()).toEqual(Array.from({ length: 12 }, (_, i) => `${i + 1}月`));
    expect(await page.locator('select[name="to-month"]').getAttribute('aria-label')).toBe('截止月份：月');
    expect(await page.locator('input[type="month"]').count()).toBe(0);
  });

  test('the sign-in page has no untranslated English', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => localStorage.setItem('kiosk-fleet.lang', 'zh'));
    const signIn = await context.newPage();
    await signIn.goto(t.baseUrl);
    await signIn.locator('form.auth-form').waitFor();
    expect(await untranslated(signIn)).toEqual([]);
    await context.close();
  });

  test('managers and administrators are not called near the same name', async () => {
    const { zh } = await import('../../web/src/messages-zh.js');
    // 管理人员 / 管理员 differ by one character: a reader takes one for the other.
    expect(editDistance(zh.role_manager, zh.role_admin)).toBeGreaterThanOrEqual(2);
    expect(zh.role_admin.includes(zh.role_manager) || zh.role_manager.includes(zh.role_admin)).toBe(false);
  });
});
