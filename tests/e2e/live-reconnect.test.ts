import { createServer, connect, type Server, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, TEST_PASSWORDS, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

const nowIso = () => new Date().toISOString();
const IDS = ['R-001', 'R-002'];
/** socket.io retries with a backoff of up to 5 s (reconnectionDelayMax): polls wait longer than that. */
const RECONNECT_POLL = { timeout: 15_000, interval: 100 };
/** The dashboard's idle session timeout (SESSION_IDLE_MINUTES), which the test clock jumps past. */
const IDLE_MINUTES = 30;

/**
 * A TCP relay in front of the dashboard: the browser reaches the page, the API and socket.io only
 * through it. `cut()` drops every connection at once and refuses new ones, as a network blip or a
 * restarting server does to the engine.io transport (the client sees "transport close", not a
 * deliberate disconnect by the server); `restore()` lets connections through again.
 */
async function startRelay(targetPort: number): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let isCut = false;
  const server: Server = createServer((client) => {
    if (isCut) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        open.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      isCut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!hasChromium)('the live feed reconnects without a reload', () => {
  let t: TestPlatform;
  /** Added to the dashboard's clock: sessions expire by it. */
  let clockOffsetMs = 0;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let browser: Browser;
  const clients = new Map<string, MqttClient>();

  beforeAll(async () => {
    t = await startTestPlatform({ SESSION_IDLE_MINUTES: String(IDLE_MINUTES) }, { now: () => Date.now() + clockOffsetMs });
    for (const id of IDS) clients.set(id, await t.connectKiosk(id, await t.provision(id)));
    for (const [id, client] of clients) {
      await client.publishAsync(`kiosks/${id}/status`, JSON.stringify({ state: 'online', ts: nowIso(), bootId: 'b1' }), {
        qos: 1,
        retain: true,
      });
    }
    relay = await startRelay(t.platform.dashboard.port);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await t?.stop();
  });

  const tile = (page: Page, id: string) => page.locator(`.tile[data-kiosk="${id}"]`);
  const badge = (page: Page) => page.locator('.connection').getAttribute('data-connection');
  const serviceStateOf = async (id: string) =>
    (await t.get<{ kiosk: { serviceState: string } }>(`/api/v1/kiosks/${id}`)).body.kiosk.serviceState;

  test('when the transport drops, the badge says so; on reconnect the page resyncs from a fresh snapshot', async () => {
    const page = await signedInPage(browser, `http://127.0.0.1:${relay.port}`, 'operator');
    await expect.poll(() => tile(page, 'R-002').getAttribute('data-state')).toBe('in_service');
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }));

    relay.cut();
    await expect.poll(() => badge(page), RECONNECT_POLL).not.toBe('live');
    expect(await page.locator('.connection').textContent()).toBe('Reconnecting…');

    // While the page cannot hear, the machine faults (the platform itself is up and records it).
    await clients.get('R-002')!.publishAsync(
      'kiosks/R-002/events',
      JSON.stringify({
        id: 'R-002-b1-1',
        ts: nowIso(),
        type: 'fault',
        faultId: 'f1',
        component: 'rfid_reader',
        code: 'RFID_TIMEOUT',
        severity: 'critical',
        blocksLending: true,
      }),
      { qos: 1 },
    );
    await expect.poll(() => serviceStateOf('R-002')).toBe('out_of_service');
    expect(await tile(page, 'R-002').getAttribute('data-state')).toBe('in_service');
    expect(await badge(page)).not.toBe('live');

    relay.restore();
    await expect.poll(() => badge(page), RECONNECT_POLL).toBe('live');
    await expect.poll(() => tile(page, 'R-002').getAttribute('data-state')).toBe('out_of_service');
    // The alert that opened meanwhile came with the fresh alerts snapshot, and is announced: the
    // crew must hear of a critical fault even if it opened during the blip.
    await expect.poll(() => page.locator('[data-nav="alerts"] .nav-count').textContent()).toBe('1');
    await expect.poll(() => page.locator('.critical-banner').count()).toBe(1);
    expect(await page.locator('.critical-banner').getAttribute('data-alert')).toContain('R-002');
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    await page.context().close();
  });

  test('when the server ends the live feed of a session that is still valid, the page connects again by itself', async () => {
    const page = await signedInPage(browser, `http://127.0.0.1:${relay.port}`, 'operator');
    // Every value the badge takes, in order: a short "not live" spell cannot slip between two polls.
    await page.evaluate(() => {
      const badgeElement = document.querySelector('.connection')!;
      const seen: string[] = [];
      Object.assign(window, { connectionLog: seen });
      new MutationObserver(() => seen.push(badgeElement.getAttribute('data-connection') ?? '')).observe(badgeElement, {
        attributes: true,
        attributeFilter: ['data-connection'],
      });
    });
    const cookie = (await page.context().cookies()).find((c) => c.name === 'kf_session')!;
    // What the gateway does at a logout: disconnect the session's sockets ("io server disconnect").
    t.platform.auth.ended({ sessionKeys: [t.platform.auth.sessions.keyOf(cookie.value)] });
    const log = () => page.evaluate(() => (window as unknown as { connectionLog: string[] }).connectionLog);
    await expect.poll(log, RECONNECT_POLL).toContain('ended');
    await expect.poll(async () => (await log()).at(-1), RECONNECT_POLL).toBe('live');
    expect(await page.locator('.user').count()).toBe(1); // still signed in, not on the login screen
    await clients
      .get('R-001')!
      .publishAsync('kiosks/R-001/status', JSON.stringify({ state: 'offline', ts: nowIso() }), { qos: 1, retain: true });
    await expect.poll(() => tile(page, 'R-001').getAttribute('data-state')).toBe('offline');
    await page.context().close();
  });

  test('in a background tab, where the browser runs no animation frames, pushes are still applied', async () => {
    const page = await signedInPage(browser, `http://127.0.0.1:${relay.port}`, 'operator');
    await expect.poll(() => tile(page, 'R-001').getAttribute('data-state')).not.toBe('unknown');
    const before = await tile(page, 'R-001').getAttribute('data-state');
    // What a hidden tab does to requestAnimationFrame: the callbacks never run.
    await page.evaluate(() => Object.assign(window, { requestAnimationFrame: () => 0 }));
    const next = before === 'offline' ? { state: 'online', bootId: 'b2' } : { state: 'offline' };
    await clients
      .get('R-001')!
      .publishAsync('kiosks/R-001/status', JSON.stringify({ ...next, ts: nowIso() }), { qos: 1, retain: true });
    await expect.poll(() => tile(page, 'R-001').getAttribute('data-state'), RECONNECT_POLL).not.toBe(before);
    await page.context().close();
  });

  test('when the session expires, the server ends the live feed and the page shows the login screen', async () => {
    const page = await signedInPage(browser, `http://127.0.0.1:${relay.port}`, 'operator');
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
    clockOffsetMs = (IDLE_MINUTES + 1) * 60_000;
    try {
      await page.getByLabel('User name').waitFor();
    } finally {
      clockOffsetMs = 0;
    }
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    await page.context().close();
  });

  test('when an admin disables the account elsewhere, the open page goes to the login screen', async () => {
    // A session of its own: the expiry test's clock jump may have ended the harness's cached one.
    const admin = await t.login('admin', TEST_PASSWORDS.admin);
    await t.user('crewmate', 'maintenance'); // creates the account
    const context = await browser.newContext({ locale: 'en-GB' });
    await context.addInitScript(() => localStorage.setItem('kiosk-fleet.lang', 'en'));
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${relay.port}`);
    await page.getByLabel('User name').fill('crewmate');
    await page.getByLabel('Password').fill('crewmate-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.connection-live').waitFor();
    const disabled = await admin.patch('/api/v1/users/crewmate', { disabled: true });
    expect(disabled.status).toBe(200);
    await page.getByLabel('User name').waitFor();
    await context.close();
  });
});
