import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type ApiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

interface ReservationAnswer {
  reservation: { state: string; delivery: { at: string; by: string | null } | null };
}

describe.skipIf(!hasChromium)('deliveries by hand on the reservations page', () => {
  let t: TestPlatform;
  let lending: ApiClient;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    t = await startTestPlatform();
    lending = await t.bearer('lending');
    const createdMs = Date.now() - 5 * 3_600_000;
    for (const id of ['R-HAND-1', 'R-HAND-2']) {
      const res = await lending.post('/api/v1/reservations', {
        reservationId: id,
        createdAt: new Date(createdMs).toISOString(),
        destination: { kind: 'home' },
      });
      expect(res.status).toBe(201);
    }
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const open = async (role: 'maintenance' | 'operator') => {
    const page = await signedInPage(browser, t.baseUrl, role);
    pages.push(page);
    await page.locator('[data-nav="reservations"]').click();
    await page.locator('tr[data-reservation="R-HAND-2"]').first().waitFor();
    return page;
  };

  test('the crew records a home delivery made by hand, back-dated; it leaves the outstanding list and shows who delivered it', async () => {
    const page = await open('maintenance');
    const row = page.locator('#reservations-table tr[data-reservation="R-HAND-1"]');
    await row.locator('[data-action="deliver"]').click();
    // One hour ago, as the fleet's wall time (Asia/Shanghai, UTC+8 all year).
    const deliveredMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const wallTime = new Date(deliveredMs + 8 * 3_600_000).toISOString().slice(0, 16);
    await row.getByLabel('Delivered at').fill(wallTime);
    await row.locator('[data-action="confirm-delivery"]').click();
    await expect
      .poll(() => page.locator('[data-notice]').textContent())
      .toBe('Reservation R-HAND-1 recorded as delivered by hand.');
    await expect.poll(() => row.count()).toBe(0);
    const delivered = page.locator('#delivered-table tr[data-reservation="R-HAND-1"]');
    await expect.poll(() => delivered.getAttribute('data-by')).toBe('hand');
    expect(await delivered.textContent()).toContain('by hand: maintenance');
    expect(await delivered.textContent()).toContain('On time');
    const answer = await t.get<ReservationAnswer>('/api/v1/reservations/R-HAND-1');
    expect(answer.body.reservation.delivery).toEqual({ at: new Date(deliveredMs).toISOString(), kioskId: '', by: 'maintenance' });
    expect(answer.body.reservation.state).toBe('delivered_on_time');
  });

  test('a delivery time in the future is refused with the reason, in words', async () => {
    const page = await open('maintenance');
    const row = page.locator('#reservations-table tr[data-reservation="R-HAND-2"]');
    await row.locator('[data-action="deliver"]').click();
    const wallTime = new Date(Date.now() + 3 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 16);
    await row.getByLabel('Delivered at').fill(wallTime);
    await row.locator('[data-action="confirm-delivery"]').click();
    await expect.poll(() => row.locator('.error').getAttribute('data-code')).toBe('DELIVERY_TIME_REFUSED');
    expect(await row.locator('.error').textContent()).toContain('it is in the future, or before the reservation was made');
    expect((await t.get<ReservationAnswer>('/api/v1/reservations/R-HAND-2')).body.reservation.delivery).toBeNull();
  });

  test('an operator, who may not record deliveries, sees the deliveries but no button', async () => {
    const page = await open('operator');
    expect(await page.locator('[data-action="deliver"]').count()).toBe(0);
    await page.locator('#delivered-table').waitFor();
  });
});
