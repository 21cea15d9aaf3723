import type { Socket } from 'socket.io-client';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditEntry } from '../../dashboard/auth/audit-log.js';
import { startTestPlatform, TEST_PASSWORDS, type TestPlatform } from '../support/platform-harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}
interface UserBody {
  user: { username: string; role: string; displayName: string; mustChangePassword: boolean; disabled: boolean };
}

/** Resolves with the time from now until the socket is disconnected by the server. */
const disconnectedWithin = (socket: Socket) =>
  new Promise<number>((resolve) => {
    const started = performance.now();
    socket.once('disconnect', () => resolve(performance.now() - started));
  });
const connected = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });

describe('users, integration tokens and the audit log', () => {
  let t: TestPlatform;
  let nowMs = Date.now();
  beforeAll(async () => {
    t = await startTestPlatform({}, { now: () => nowMs });
  });
  afterAll(async () => t?.stop());

  const audit = async (query = '') =>
    (await (await t.api('admin')).get<{ entries: AuditEntry[] }>(`/api/v1/audit?limit=5000${query}`)).body.entries;

  test('an admin creates a user, who must choose a password at first login before doing anything else', async () => {
    const admin = await t.api('admin');
    const created = await admin.post<UserBody>('/api/v1/users', {
      username: 'chen.jing',
      displayName: '陈静',
      role: 'maintenance',
      password: 'temporary-password-1',
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      username: 'chen.jing',
      role: 'maintenance',
      mustChangePassword: true,
      disabled: false,
    });
    expect(JSON.stringify(created.body)).not.toContain('temporary-password-1');
    expect((await admin.post<ErrorBody>('/api/v1/users', { ...created.body.user, password: 'another-password-1' })).status).toBe(
      400,
    );

    const chen = await t.login('chen.jing', 'temporary-password-1');
    expect((await chen.get<{ user: { mustChangePassword: boolean } }>('/api/v1/auth/me')).body.user.mustChangePassword).toBe(
      true,
    );
    const blocked = await chen.get<ErrorBody>('/api/v1/alerts');
    expect([blocked.status, blocked.body.error.code]).toEqual([403, 'PASSWORD_CHANGE_REQUIRED']);
    const early = connectSocket(t.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: chen.headers });
    await expect(connected(early).finally(() => early.close())).rejects.toThrow('PASSWORD_CHANGE_REQUIRED');
    expect(
      (await chen.post('/api/v1/auth/password', { currentPassword: 'temporary-password-1', newPassword: 'chosen-by-chen-1' }))
        .status,
    ).toBe(204);
    expect((await chen.get('/api/v1/alerts')).status).toBe(200);
    expect((await admin.get<{ users: { username: string }[] }>('/api/v1/users')).body.users.map((u) => u.username)).toContain(
      'chen.jing',
    );
  });

  test.each([
    [
      'an upper-case username',
      { username: 'Chen', displayName: 'x', role: 'operator', password: 'long-enough-pass' },
      'username',
    ],
    ['an unknown role', { username: 'x1', displayName: 'x', role: 'root', password: 'long-enough-pass' }, 'role'],
    ['a short password', { username: 'x2', displayName: 'x', role: 'operator', password: 'short' }, 'password'],
    [
      'an unknown field',
      { username: 'x3', displayName: 'x', role: 'operator', password: 'long-enough-pass', admin: true },
      'admin',
    ],
  ])('creating a user with %s is a 400 naming the field', async (_name, body, field) => {
    const res = await (await t.api('admin')).post<ErrorBody>('/api/v1/users', body);
    expect([res.status, res.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    expect(res.body.error.message).toContain(field);
  });

  test('disabling a user ends their sessions and disconnects their sockets within 1 s; they cannot sign in', async () => {
    const person = await t.user('to.disable', 'operator');
    const socket = connectSocket(t.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: person.headers });
    try {
      await connected(socket);
      const gone = disconnectedWithin(socket);
      const res = await (await t.api('admin')).patch<UserBody>('/api/v1/users/to.disable', { disabled: true });
      expect(res.body.user.disabled).toBe(true);
      expect(await gone).toBeLessThan(1000);
      expect((await person.get('/api/v1/kiosks')).status).toBe(401);
      await expect(t.login('to.disable', 'to.disable-password-1')).rejects.toThrow(/401/);
    } finally {
      socket.close();
    }
  });

  test('a role change applies to open sessions at once; a password set by an admin signs out and must be changed', async () => {
    const admin = await t.api('admin');
    const person = await t.user('role.change', 'operator');
    expect((await person.get('/api/v1/reports/indicators?year=2026')).status).toBe(403);
    expect((await admin.patch<UserBody>('/api/v1/users/role.change', { role: 'manager' })).body.user.role).toBe('manager');
    expect((await person.get('/api/v1/reports/indicators?year=2026')).status).toBe(200);
    const reset = await admin.patch<UserBody>('/api/v1/users/role.change', { password: 'set-by-the-admin-1' });
    expect(reset.body.user.mustChangePassword).toBe(true);
    expect((await person.get('/api/v1/auth/me')).status).toBe(401);
    const again = await t.login('role.change', 'set-by-the-admin-1');
    expect((await again.get<ErrorBody>('/api/v1/kiosks')).body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
  });

  test('the last enabled admin can be neither disabled nor demoted', async () => {
    const admin = await t.api('admin');
    for (const change of [{ disabled: true }, { role: 'operator' }]) {
      const res = await admin.patch<ErrorBody>('/api/v1/users/admin', change);
      expect([res.status, res.body.error.code]).toEqual([409, 'LAST_ADMIN']);
    }
    expect((await admin.patch<ErrorBody>('/api/v1/users/nobody', { disabled: true })).status).toBe(404);
    expect((await admin.patch<ErrorBody>('/api/v1/users/operator', {})).body.error.message).toContain('at least one');
  });

  test('logout disconnects that session’s sockets within 1 s, and only those', async () => {
    const leaving = await t.login('operator', TEST_PASSWORDS.operator);
    const staying = await t.login('operator', TEST_PASSWORDS.operator);
    const left = connectSocket(t.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: leaving.headers });
    const stays = connectSocket(t.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: staying.headers });
    try {
      await Promise.all([connected(left), connected(stays)]);
      const gone = disconnectedWithin(left);
      expect((await leaving.post('/api/v1/auth/logout')).status).toBe(204);
      expect(await gone).toBeLessThan(1000);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(stays.connected).toBe(true);
    } finally {
      left.close();
      stays.close();
    }
  });

  test('a session that expires while its socket is open is disconnected within 1 s', async () => {
    const person = await t.login('manager', TEST_PASSWORDS.manager);
    const socket = connectSocket(t.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: person.headers });
    const start = nowMs;
    try {
      await connected(socket);
      const gone = disconnectedWithin(socket);
      nowMs = start + 31 * 60_000; // past SESSION_IDLE_MINUTES (30)
      expect(await gone).toBeLessThan(1000);
    } finally {
      nowMs = start;
      socket.close();
    }
  });

  test('integration tokens: issued once with a role, used as bearer, listed with last use, revoked (socket dropped)', async () => {
    const admin = await t.api('admin');
    const issued = await admin.post<{ token: { id: string; name: string; role: string }; secret: string }>(
      '/api/v1/auth/tokens',
      {
        name: 'prometheus',
        role: 'metrics',
      },
    );
    expect(issued.status).toBe(201);
    expect(issued.body.token).toMatchObject({ name: 'prometheus', role: 'metrics' });
    const scrape = () => fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${issued.body.secret}` } });
    expect((await scrape()).status).toBe(200);
    const listed = (
      await admin.get<{ tokens: { id: string; lastUsedAt: string | null; revokedAt: string | null }[] }>('/api/v1/auth/tokens')
    ).body.tokens;
    expect(listed.find((x) => x.id === issued.body.token.id)).toMatchObject({ lastUsedAt: expect.any(String), revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(issued.body.secret);

    const operatorToken = await admin.post<{ token: { id: string }; secret: string }>('/api/v1/auth/tokens', {
      name: 'wall display',
      role: 'operator',
    });
    const socket = connectSocket(t.baseUrl, {
      transports: ['websocket'],
      reconnection: false,
      auth: { token: operatorToken.body.secret },
    });
    try {
      await connected(socket);
      const gone = disconnectedWithin(socket);
      expect((await admin.delete(`/api/v1/auth/tokens/${operatorToken.body.token.id}`)).status).toBe(204);
      expect(await gone).toBeLessThan(1000);
    } finally {
      socket.close();
    }
    expect((await admin.delete(`/api/v1/auth/tokens/${issued.body.token.id}`)).status).toBe(204);
    expect((await scrape()).status).toBe(401);
    expect((await admin.delete<ErrorBody>(`/api/v1/auth/tokens/${issued.body.token.id}`)).body.error.code).toBe(
      'TOKEN_NOT_FOUND',
    );
    const bad = await admin.post<ErrorBody>('/api/v1/auth/tokens', { name: 'x', role: 'superuser' });
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringContaining('role')]);
  });

  test('the audit log records logins, commands, alert actions, exports, user and token changes, denials: who, role, where, outcome', async () => {
    const since = new Date(nowMs - 1000).toISOString();
    await t.anonymous.post('/api/v1/auth/login', { username: 'operator', password: 'not-the-password' });
    const operator = await t.login('operator', TEST_PASSWORDS.operator);
    await t.provision('AU-1');
    expect((await operator.post('/api/v1/kiosks/AU-1/commands', { type: 'pause', reason: 'audit check' })).status).toBe(202);
    expect((await operator.post('/api/v1/kiosks', { id: 'AU-2' })).status).toBe(403);
    const manager = await t.api('manager');
    expect((await manager.get('/api/v1/reports/circulation?from=2026-01&to=2026-02&format=csv')).status).toBe(200);
    expect((await manager.get('/api/v1/reports/circulation?from=2026-01&to=2026-02')).status).toBe(200); // JSON: not an export
    const maintenance = await t.api('maintenance');
    await maintenance.post('/api/v1/alerts/AL-none-1/ack', {});

    const entries = await audit(`&from=${since}`);
    const seen = entries.map((e) => [e.actor, e.role, e.action, e.target, e.outcome]);
    expect(seen).toContainEqual(['operator', null, 'auth.login', null, 'failed']);
    expect(seen).toContainEqual(['operator', 'operator', 'auth.login', null, 'ok']);
    expect(seen).toContainEqual(['admin', 'admin', 'kiosk.provision', null, 'ok']);
    expect(seen).toContainEqual(['operator', 'operator', 'kiosk.command', 'AU-1', 'ok']);
    expect(seen).toContainEqual(['operator', 'operator', 'kiosk.provision', null, 'denied']);
    expect(seen).toContainEqual(['maintenance', 'maintenance', 'alert.acknowledge', 'AL-none-1', 'failed']);
    expect(seen.filter((e) => e[2] === 'report.export')).toEqual([['manager', 'manager', 'report.export', null, 'ok']]);
    const command = entries.find((e) => e.action === 'kiosk.command')!;
    expect(command.address).toMatch(/127\.0\.0\.1/);
    expect(JSON.parse(command.detail!)).toMatchObject({ type: 'pause', reason: 'audit check', status: 202 });

    const earlier = await audit();
    expect(earlier.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'user.create',
        'user.update',
        'token.issue',
        'token.revoke',
        'auth.logout',
        'auth.password_change',
      ]),
    );
    // No password or token secret ever reaches the log.
    const text = JSON.stringify(earlier);
    expect(text).not.toContain('temporary-password-1');
    expect(text).not.toContain('chosen-by-chen-1');
    expect(text).not.toContain(TEST_PASSWORDS.operator);
    expect((await audit('&actor=manager&action=report.export')).length).toBe(1);
    const bad = await (await t.api('admin')).get<ErrorBody>('/api/v1/audit?from=yesterday');
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringContaining('from')]);
  });
});
