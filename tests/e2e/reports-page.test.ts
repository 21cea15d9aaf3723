import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

const FLEET_TZ = 'Asia/Shanghai';
const ID = 'RP-001';

/** `YYYY-MM` of the fleet's month `offset` months from this one (−1: last month). */
function fleetMonth(offset: number): string {
  const [year, month] = new Intl.DateTimeFormat('en-CA', { timeZone: FLEET_TZ, year: 'numeric', month: '2-digit' })
    .format(new Date())
    .split('-')
    .map(Number) as [number, number];
  const index = year * 12 + month - 1 + offset;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

async function textOf(download: Download): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe.skipIf(!hasChromium)('the reports page', () => {
  let t: TestPlatform;
  let browser: Browser;
  const pages: Page[] = [];
  /** Where the history begins: the machine's first loan, noon on the 15th of last month (fleet time). */
  const historyBegins = `${fleetMonth(-1)}-15`;

  beforeAll(async () => {
    t = await startTestPlatform();
    const client = await t.connectKiosk(ID, await t.provision(ID));
    const lastMonth = `${historyBegins}T12:00:00+08:00`;
    const now = new Date().toISOString();
    const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
    // In service for the past hour but for one fault, restored: one failure and one fault alert.
    await client.publishAsync(`kiosks/${ID}/status`, JSON.stringify({ state: 'online', ts: minutesAgo(60), bootId: 'b1' }), {
      qos: 1,
      retain: true,
    });
    const events = [
      { id: `${ID}-b1-1`, ts: new Date(lastMonth).toISOString(), type: 'loan' },
      { id: `${ID}-b1-2`, ts: new Date(Date.parse(lastMonth) + 60_000).toISOString(), type: 'loan' },
      { id: `${ID}-b1-3`, ts: now, type: 'loan' },
      { id: `${ID}-b1-4`, ts: now, type: 'return' },
    ];
    const fault = { faultId: 'f1', component: 'rfid_reader', code: 'RFID_TIMEOUT', severity: 'major', blocksLending: true };
    for (const e of [
      { id: `${ID}-b1-5`, ts: minutesAgo(30), type: 'fault', ...fault },
      { id: `${ID}-b1-6`, ts: minutesAgo(10), type: 'fault_cleared', faultId: 'f1' },
    ])
      await client.publishAsync(`kiosks/${ID}/events`, JSON.stringify(e), { qos: 1 });
    for (const e of events) await client.publishAsync(`kiosks/${ID}/events`, JSON.stringify(e), { qos: 1 });
    await vi.waitFor(
      async () => {
        const stored = await t.get<{ events: unknown[] }>(`/api/v1/events?kiosk=${ID}&type=loan,return`);
        if (stored.body.events.length !== events.length) throw new Error('the events are not stored yet');
      },
      { timeout: 10_000, interval: 50 },
    );
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const openReports = async () => {
    const page = await signedInPage(browser, t.baseUrl, 'manager');
    pages.push(page);
    await page.locator('[data-nav="reports"]').click();
    await page.locator('#circulation-table').waitFor();
    return page;
  };
  const pickRange = async (page: Page, from: string, to: string) => {
    for (const [name, month] of [
      ['from', from],
      ['to', to],
    ] as const) {
      await page.locator(`select[name="${name}-year"]`).selectOption(month.slice(0, 4));
      await page.locator(`select[name="${name}-month"]`).selectOption(month.slice(5, 7));
    }
  };

  test('Download CSV exports the months the form shows, even before Show is pressed', async () => {
    const page = await openReports();
    await pickRange(page, fleetMonth(-1), fleetMonth(-1));
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-download="csv"]').click()]);
    const csv = await textOf(download);
    expect(csv).toMatch(new RegExp(`^${fleetMonth(-1)},2,0,2\\r?$`, 'm'));
    expect(csv).not.toMatch(new RegExp(`^${fleetMonth(0)},`, 'm'));
    expect(csv).toMatch(new RegExp(`^to,${fleetMonth(-1)}\\r?$`, 'm'));
    expect(download.suggestedFilename()).toBe(`circulation_fleet_${fleetMonth(-1)}_${fleetMonth(-1)}.csv`);
  });

  test('months before the history begins and months to come are marked, not shown as measured zeros', async () => {
    const page = await openReports();
    await pickRange(page, fleetMonth(-3), fleetMonth(1));
    await page.getByRole('button', { name: 'Show' }).click();
    const row = (offset: number) => page.locator(`#circulation-table tr[data-month="${fleetMonth(offset)}"]`);
    await expect.poll(() => row(1).getAttribute('data-coverage')).toBe('future');
    expect(await row(-3).getAttribute('data-coverage')).toBe('before_history');
    expect(await row(-2).getAttribute('data-coverage')).toBe('before_history');
    expect(await row(-1).getAttribute('data-coverage')).toBe('measured');
    expect(await row(0).getAttribute('data-coverage')).toBe('running');
    expect(await row(-3).textContent()).toContain('no data yet');
    expect(await row(-3).locator('td').allTextContents()).toEqual(['no data yet']);
    expect(await row(1).textContent()).toContain('future');
    expect(await row(1).textContent()).not.toContain('month still running');
    expect(await page.locator('[data-history-begins]').textContent()).toContain(historyBegins);
    // The total says what it sums: the two months with data, not five.
    expect(await page.locator('#circulation-table tfoot').textContent()).toContain('2 months');
    const api = await t.get<{ historyBegins: string | null; rows: Array<{ month: string; coverage: string }> }>(
      `/api/v1/reports/circulation?from=${fleetMonth(-3)}&to=${fleetMonth(1)}`,
    );
    expect(api.body.historyBegins).toBe(historyBegins);
    expect(api.body.rows.map((r) => r.coverage)).toEqual(['before_history', 'before_history', 'measured', 'running', 'future']);
  });

  test('the monthly trend charts loans and returns of this year beside last year, with no data where none is', async () => {
    const page = await openReports();
    await pickRange(page, fleetMonth(-1), fleetMonth(0));
    await page.getByRole('button', { name: 'Show' }).click();
    const trend = page.locator(`.trend-chart[data-trend-year="${fleetMonth(0).slice(0, 4)}"]`);
    await trend.locator('canvas').waitFor();
    const description = trend.locator('[data-chart-description]');
    const [year, lastMonthYear] = [fleetMonth(0).slice(0, 4), fleetMonth(-1).slice(0, 4)];
    // In January last month's loans belong to last year's line.
    const expected =
      year === lastMonthYear
        ? [`${year}: 3 loans and 1 returns over 2 months with data.`, `${Number(year) - 1}: no data.`]
        : [
            `${year}: 1 loans and 1 returns over 1 months with data.`,
            `${lastMonthYear}: 2 loans and 0 returns over 1 months with data.`,
          ];
    await expect.poll(() => description.textContent()).toBe(expected.join(' '));
  });

  test('the indicators explain themselves on the page, in its language, with shares in whole percent', async () => {
    const page = await openReports();
    const row = (key: string) => page.locator(`#indicators-table tr[data-indicator="${key}"]`);
    await row('circulation').waitFor();
    for (const key of ['machinesOperated', 'circulation', 'weeklyInspection', 'availability24h']) {
      expect(await row(key).locator('[data-explanation]').isVisible()).toBe(true);
      expect((await row(key).locator('[data-explanation]').textContent())!.length).toBeGreaterThan(20);
      expect(await row(key).locator('[data-note]').isVisible()).toBe(true);
    }
    const table = (await page.locator('#indicators-table').textContent())!;
    expect(table).not.toMatch(/\.md\b|\.ts\b/);
    expect(table).not.toMatch(/\d[.,]\d+\s?%/);
    expect(await row('availability24h').locator('td').first().textContent()).toBe('≥ 100%');
    // This year's loans: last month's two and today's one (in January, last month's were last year's).
    const loans = fleetMonth(0).slice(0, 4) === fleetMonth(-1).slice(0, 4) ? 3 : 1;
    expect(await row('circulation').locator('[data-pace]').textContent()).toMatch(
      new RegExp(`^At an even pace towards 150,000 in the year, [\\d,]+ would be done by today; ${loans + 1} are\\.`),
    );
    await page.locator('button[data-lang="zh"]').click();
    await expect.poll(() => row('circulation').locator('[data-explanation]').textContent()).toContain('借书');
    // The note comes from the server in the page's language: the table shows it once that answer is in.
    await expect.poll(() => row('circulation').locator('[data-note]').textContent()).toContain(`借书 ${loans} + 还书 1`);
    expect(await row('circulation').locator('[data-pace]').textContent()).toContain('平均推进');
  });

  test('how the machines served is charted: use per day in service, time between failures and fault response', async () => {
    const year = fleetMonth(0).slice(0, 4);
    await vi.waitFor(
      async () => {
        const answer = await t.get<{ kiosks: Array<{ failures: number }> }>(`/api/v1/reliability?window=${year}`);
        if (answer.body.kiosks[0]?.failures !== 1) throw new Error('the failure is not counted yet');
      },
      { timeout: 10_000, interval: 100 },
    );
    const page = await openReports();
    const chart = (name: string) => page.locator(`[data-chart="${name}"]`);
    await chart('utilisation').locator('canvas').waitFor();
    await expect.poll(() => chart('utilisation').getAttribute('data-machines')).toBe('1');
    expect(await chart('utilisation').locator('[data-chart-description]').textContent()).toMatch(
      /^1 machines ranked; busiest RP-001;/,
    );
    await expect.poll(() => chart('reliability').getAttribute('data-machines')).toBe('1');
    expect(await chart('reliability').locator('[data-chart-description]').textContent()).toMatch(
      /^Shortest: RP-001, [\d.,]+ h between failures \(1 failures\)/,
    );
    await expect.poll(() => chart('fault-response').getAttribute('data-alerts')).toBe('1');
    expect(await chart('fault-response').locator('canvas').count()).toBe(1);
  });

  test("a manager sets the library's own targets; the table and the overview use them, and the change is audited", async () => {
    const page = await openReports();
    await page.locator('[data-full-share-hint]').waitFor();
    expect(await page.locator('[data-targets]').getAttribute('data-targets')).toBe('reference');
    await page.locator('[data-action="edit-targets"]').click();
    await page.locator('input[name="weeklyInspectionRatio"]').fill('95');
    await page.locator('input[name="circulationPerYear"]').fill('90000');
    await page.locator('[data-action="save-targets"]').click();
    const row = (key: string) => page.locator(`#indicators-table tr[data-indicator="${key}"]`);
    await expect.poll(() => row('weeklyInspection').locator('td').first().textContent()).toBe('≥ 95%');
    expect(await row('circulation').locator('td').first().textContent()).toBe('> 90,000');
    expect(await page.locator('[data-targets]').getAttribute('data-targets')).toBe('library');
    const targets = await t.get<{ targets: { weeklyInspectionRatio: number }; updatedBy: string }>('/api/v1/reports/targets');
    expect(targets.body).toMatchObject({ targets: { weeklyInspectionRatio: 0.95 }, updatedBy: 'manager' });
    const fleet = await t.get<{ circulation: { yearTarget: number } }>('/api/v1/fleet');
    expect(fleet.body.circulation.yearTarget).toBe(90_000);
    // The overview's tile says what its pace is: due by today towards the library's yearly target.
    await page.locator('[data-nav="overview"]').click();
    await expect
      .poll(() => page.locator('[data-kpi="circulation-year"] .kpi-detail').textContent())
      .toMatch(/^[\d,]+ due by today, at an even pace to 90,000 a year$/);
    const audit = await t.get<{ entries: Array<{ action: string; actor: string }> }>('/api/v1/audit?action=report.targets');
    expect(audit.body.entries).toEqual([expect.objectContaining({ action: 'report.targets', actor: 'manager' })]);
  });
});
