import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { hasChromium, launchBrowser, signedInPage } from './browser.js';

/** A fresh browser context signed in through the login screen as any person (the seeded roles have `signedInPage`). */
async function signInAs(browser: Browser, baseUrl: string, username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/London' });
  await context.addInitScript(() => localStorage.setItem('kiosk-fleet.lang', 'en'));
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.connection-live').waitFor();
  return page;
}

describe.skipIf(!hasChromium)('the administration page', () => {
  let t: TestPlatform;
  let browser: Browser;
  let admin: Page;
  /** Script errors and refused resources (the CSP's reports among them) on the admin's page. */
  const problems: string[] = [];

  beforeAll(async () => {
    t = await startTestPlatform();
    browser = await launchBrowser();
    admin = await signedInPage(browser, t.baseUrl, 'admin');
    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    admin.on('pageerror', (error) => problems.push(error.message));
    admin.on('console', (message) => {
      // A 4xx answer the page shows as an error is logged by Chromium too; it is not a page problem.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    await admin.locator('[data-nav="admin"]').click();
    await admin.locator('#admin-title').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const createForm = () => admin.locator('form[aria-labelledby="create-account-title"]');
  const tokenForm = () => admin.locator('form[aria-labelledby="issue-token-title"]');
  const accountRow = (username: string) => admin.locator(`#accounts-table tr[data-user="${username}"]`);
  async function openEditor(username: string): Promise<Locator> {
    await accountRow(username).locator('[data-action="edit-account"]').click();
    return admin.locator(`[data-editing="${username}"]`);
  }
  async function createAccount(username: string, displayName: string, role: string, password: string) {
    const form = createForm();
    await form.getByLabel('User name').fill(username);
    await form.getByLabel('Display name').fill(displayName);
    await form.getByLabel('Role').selectOption(role);
    await form.getByLabel('Temporary password').fill(password);
    await form.locator('[data-action="create-account"]').click();
  }

  test('an admin creates an operator account; it signs in through the API and must change its password first', async () => {
    await createAccount('olga', 'Olga Operator', 'operator', 'temporary-pass-123');
    await expect.poll(() => admin.locator('[data-notice="accounts"]').textContent()).toBe('Account olga created.');
    await expect.poll(() => accountRow('olga').locator('[data-role]').getAttribute('data-role')).toBe('operator');
    expect(await accountRow('olga').textContent()).toContain('Olga Operator');

    const olga = await t.login('olga', 'temporary-pass-123');
    const me = await olga.get<{ user: { role: string; mustChangePassword: boolean } }>('/api/v1/auth/me');
    expect(me.body.user).toMatchObject({ role: 'operator', mustChangePassword: true });
    const kiosks = await olga.get<{ error: { code: string } }>('/api/v1/kiosks');
    expect(kiosks.status).toBe(403);
    expect(kiosks.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
  });

  test('the audit log on the page shows that creation, in the fleet time zone, and filters by actor and action', async () => {
    const row = admin.locator('#audit-table tr[data-audit-action="user.create"]').first();
    await expect.poll(() => row.textContent()).toContain('"username":"olga"');
    const audit = admin.locator('section[aria-labelledby="audit-title"]');
    await audit.getByLabel('Actor').fill('admin');
    await audit.getByLabel('Action').fill('user.create');
    await audit.locator('[data-action="show-audit"]').click();
    await expect.poll(() => audit.locator('tbody tr').count()).toBe(1);
    const { body } = await t.get<{ entries: Array<{ at: string; actor: string }> }>('/api/v1/audit?action=user.create');
    const shown = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date(body.entries[0]!.at));
    expect(await row.locator('time').textContent()).toBe(shown);
    expect(await row.locator('td').nth(1).textContent()).toBe('admin');

    // From a time still to come: nothing yet.
    await audit.getByLabel('From').fill('2099-01-01T00:00');
    await audit.locator('[data-action="show-audit"]').click();
    await expect.poll(() => audit.locator('tbody tr').count()).toBe(0);
    expect(await audit.textContent()).toContain('Nothing recorded for these filters.');
    await audit.getByLabel('From').fill('');
    await audit.getByLabel('Actor').fill('');
    await audit.getByLabel('Action').fill('');
    await audit.locator('[data-action="show-audit"]').click();
  });

  test("the server's refusals are shown next to the form: a bad user name, the last admin", async () => {
    await createAccount('Not Valid', 'Someone', 'operator', 'temporary-pass-123');
    const invalid = createForm().locator('.error[data-code="INVALID_REQUEST"]');
    await expect.poll(() => invalid.textContent()).toContain('username: must be 1–64 lowercase');

    const editor = await openEditor('admin');
    await editor.locator('[data-action="disable-account"]').click();
    await expect.poll(() => editor.locator('.error[data-code="LAST_ADMIN"]').count()).toBe(1);
    const { body } = await t.get<{ users: Array<{ username: string; disabled: boolean }> }>('/api/v1/users');
    expect(body.users.find((u) => u.username === 'admin')?.disabled).toBe(false);
    await accountRow('admin').locator('[data-action="edit-account"]').click(); // closes it again
  });

  test('disabling a person on the page ends their API session at once', async () => {
    const dora = await t.user('dora', 'maintenance');
    expect((await dora.get('/api/v1/auth/me')).status).toBe(200);
    // Dora was created behind the page's back: the page loads the accounts again.
    await admin.reload();
    await accountRow('dora').waitFor();
    const editor = await openEditor('dora');
    await editor.locator('[data-action="disable-account"]').click();
    await expect.poll(() => accountRow('dora').getAttribute('data-disabled')).toBe('true');
    expect((await dora.get('/api/v1/auth/me')).status).toBe(401);
    const again = await t.anonymous.post('/api/v1/auth/login', { username: 'dora', password: 'dora-password-1' });
    expect(again.status).toBe(401);
  });

  test('an admin issues a metrics token, its secret is shown once and works on /metrics until revoked on the page', async () => {
    await tokenForm().getByLabel('Name').fill('prometheus');
    await tokenForm().getByLabel('Role').selectOption('metrics');
    await tokenForm().locator('[data-action="issue-token"]').click();
    const secretField = admin.locator('[data-secret]');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(await admin.locator('#secret-note').textContent()).toContain('it will not be shown again');
    await admin.locator('[data-action="copy-secret"]').click();
    await expect.poll(() => admin.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const scrape = () => fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await scrape()).status).toBe(200);

    await admin.locator('[data-action="secret-done"]').click();
    await expect.poll(() => secretField.count()).toBe(0);
    expect(await admin.content()).not.toContain(secret);

    const row = admin.locator('#tokens-table tr[data-token-name="prometheus"]');
    await row.locator('[data-action="revoke-token"]').click();
    await row.locator('[data-action="confirm-revoke"]').click();
    await expect.poll(() => row.getAttribute('data-revoked')).toBe('true');
    expect((await scrape()).status).toBe(401);
  });

  test('a person changes their own password from the header; only the new one signs in afterwards', async () => {
    await t.platform.auth.users.create({
      username: 'pat',
      displayName: 'Pat Manager',
      role: 'manager',
      password: 'pat-old-password-1',
      mustChangePassword: false,
    });
    const page = await signInAs(browser, t.baseUrl, 'pat', 'pat-old-password-1');
    await page.locator('[data-action="change-password"]').click();
    const dialog = page.locator('dialog.password-dialog');
    await dialog.getByLabel('Current password').fill('not-my-password');
    await dialog.getByLabel('New password', { exact: true }).fill('pat-new-password-1');
    await dialog.getByLabel('Repeat the new password').fill('pat-new-password-1');
    await dialog.locator('[data-action="save-password"]').click();
    await expect.poll(() => dialog.locator('.error[data-code="INVALID_CREDENTIALS"]').count()).toBe(1);

    await dialog.getByLabel('Current password').fill('pat-old-password-1');
    await dialog.locator('[data-action="save-password"]').click();
    await dialog.locator('[data-status="password-changed"]').waitFor();
    await dialog.locator('[data-action="close-password"]').click();
    await expect.poll(() => dialog.count()).toBe(0);

    await t.login('pat', 'pat-new-password-1');
    const old = await t.anonymous.post<{ error: { code: string } }>('/api/v1/auth/login', {
      username: 'pat',
      password: 'pat-old-password-1',
    });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('INVALID_CREDENTIALS');
    // The session that changed it stays signed in.
    await page.locator('[data-nav="alerts"]').click();
    await page.locator('#alerts-title').waitFor();
    expect(await page.locator('.user').textContent()).toContain('Pat Manager');
    await page.context().close();
  });

  test('an operator sees no administration link, and #/admin says the role may not', async () => {
    const operator = await signedInPage(browser, t.baseUrl, 'operator');
    expect(await operator.locator('[data-nav="admin"]').count()).toBe(0);
    await operator.goto(`${t.baseUrl}/#/admin`);
    const error = operator.locator('.error[data-code="FORBIDDEN"]');
    await expect.poll(() => error.textContent()).toContain('Your role may not do this.');
    expect(await operator.locator('#admin-title').count()).toBe(0);
    await operator.context().close();
  });

  test('in Chinese the administration page is labelled in Chinese; nothing on it broke a script or the CSP', async () => {
    await admin.locator('button[data-lang="zh"]').click();
    await expect.poll(() => admin.locator('[data-nav="admin"]').textContent()).toBe('系统管理');
    expect(await admin.locator('#tokens-title').textContent()).toBe('集成令牌');
    await admin.locator('button[data-lang="en"]').click();
    expect(problems).toEqual([]);
  });
});
