import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeSelfSignedCertificate } from '../broker/tls-files.js';
import { apiClient, startTestPlatform, TEST_PASSWORDS, type TestPlatform } from '../support/platform-harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}
interface LoginBody {
  user: { username: string; role: string; displayName: string; mustChangePassword: boolean };
  csrfToken: string;
}

describe('people: login, sessions, CSRF', () => {
  let t: TestPlatform;
  let nowMs = Date.now();
  beforeAll(async () => {
    t = await startTestPlatform({ SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '12' }, { now: () => nowMs });
  });
  afterAll(async () => t?.stop());

  const rawLogin = (username: string, password: string) =>
    fetch(`${t.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });

  test('login answers the user and a CSRF token and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const res = await rawLogin('operator', TEST_PASSWORDS.operator);
    expect(res.status).toBe(200);
    const body = (await res.json()) as LoginBody;
    expect(body.user).toEqual({
      username: 'operator',
      role: 'operator',
      displayName: 'Test operator',
      mustChangePassword: false,
    });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('kf_session='))!;
    expect(cookie).toMatch(/^kf_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure'); // plain HTTP here; Secure under TLS (req.secure)
  });

  test('me answers the signed-in user and the same CSRF token; without a session 401 UNAUTHENTICATED', async () => {
    const client = await t.login('maintenance', TEST_PASSWORDS.maintenance);
    const me = await client.get<LoginBody>('/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user.role).toBe('maintenance');
    expect(me.body.csrfToken).toBe(client.csrfToken);
    const anonymous = await t.anonymous.get<ErrorBody>('/api/v1/auth/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
    const forged = await apiClient(t.baseUrl, { cookie: 'kf_session=' + 'x'.repeat(43) }).get<ErrorBody>('/api/v1/auth/me');
    expect(forged.status).toBe(401);
  });

  test('a wrong password and an unknown user get the same 401 INVALID_CREDENTIALS, in about the same time', async () => {
    const timed = async (username: string) => {
      const started = performance.now();
      const res = await rawLogin(username, 'wrong-password-123');
      return { ms: performance.now() - started, status: res.status, body: (await res.json()) as ErrorBody };
    };
    const wrongs = [];
    const unknowns = [];
    for (let i = 0; i < 3; i++) {
      wrongs.push(await timed('manager'));
      unknowns.push(await timed('nobody-here'));
    }
    const [wrong, unknown] = [wrongs[0]!, unknowns[0]!];
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    // Both cost one scrypt (an unknown name is checked against a decoy hash): the fastest of three
    // is compared, as a busy machine only ever adds time. Without the decoy the ratio is ~0.02.
    const fastest = (runs: { ms: number }[]) => Math.min(...runs.map((r) => r.ms));
    expect(fastest(unknowns)).toBeGreaterThan(fastest(wrongs) * 0.3);
  });

  test('logout ends the session: the cookie no longer works and is cleared', async () => {
    const client = await t.login('manager', TEST_PASSWORDS.manager);
    expect((await client.get('/api/v1/kiosks')).status).toBe(200);
    const out = await client.post('/api/v1/auth/logout');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toContain('Max-Age=0');
    const after = await client.get<ErrorBody>('/api/v1/kiosks');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
  });

  test('state-changing requests by cookie need the session CSRF token: missing or wrong → 403 CSRF_FAILED', async () => {
    const client = await t.login('admin', TEST_PASSWORDS.admin);
    const body = { name: 'csrf probe', role: 'metrics' };
    const missing = await client.request<ErrorBody>('POST', '/api/v1/auth/tokens', body, { 'x-csrf-token': '' });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('CSRF_FAILED');
    const other = await t.login('admin', TEST_PASSWORDS.admin); // another session's token is wrong here
    const wrong = await client.request<ErrorBody>('POST', '/api/v1/auth/tokens', body, { 'x-csrf-token': other.csrfToken });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('CSRF_FAILED');
    expect(
      (await client.get<{ tokens: { name: string }[] }>('/api/v1/auth/tokens')).body.tokens.map((x) => x.name),
    ).not.toContain('csrf probe');
    const right = await client.post('/api/v1/auth/tokens', body);
    expect(right.status).toBe(201);
  });

  test('a bearer token needs no CSRF token', async () => {
    const admin = await t.bearer('admin');
    expect((await admin.post('/api/v1/auth/tokens', { name: 'by bearer', role: 'metrics' })).status).toBe(201);
  });

  test('a session unused for longer than SESSION_IDLE_MINUTES ends; a used one lasts until SESSION_MAX_HOURS', async () => {
    const idle = await t.login('operator', TEST_PASSWORDS.operator);
    const busy = await t.login('operator', TEST_PASSWORDS.operator);
    const start = nowMs;
    try {
      nowMs = start + 20 * 60_000;
      expect((await busy.get('/api/v1/kiosks')).status).toBe(200);
      nowMs = start + 31 * 60_000;
      expect((await idle.get('/api/v1/kiosks')).status).toBe(401);
      expect((await busy.get('/api/v1/kiosks')).status).toBe(200);
      // Used every 20 minutes, it still ends 12 hours after login.
      for (let minutes = 40; minutes < 12 * 60; minutes += 20) {
        nowMs = start + minutes * 60_000;
        expect((await busy.get('/api/v1/auth/me')).status).toBe(200);
      }
      nowMs = start + 12 * 3_600_000 + 60_000;
      expect((await busy.get('/api/v1/auth/me')).status).toBe(401);
    } finally {
      nowMs = start;
    }
  });

  test('password change: the current one is checked, the new one works, other sessions end', async () => {
    await t.platform.auth.users.create({
      username: 'changer',
      displayName: 'Changer',
      role: 'operator',
      password: 'first-password-1',
      mustChangePassword: false,
    });
    const first = await t.login('changer', 'first-password-1');
    const second = await t.login('changer', 'first-password-1');
    const wrong = await first.post<ErrorBody>('/api/v1/auth/password', {
      currentPassword: 'not-it-at-all',
      newPassword: 'second-password-2',
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    const short = await first.post<ErrorBody>('/api/v1/auth/password', {
      currentPassword: 'first-password-1',
      newPassword: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/newPassword: .*12/);
    const ok = await first.post('/api/v1/auth/password', {
      currentPassword: 'first-password-1',
      newPassword: 'second-password-2',
    });
    expect(ok.status).toBe(204);
    expect((await first.get('/api/v1/auth/me')).status).toBe(200);
    expect((await second.get('/api/v1/auth/me')).status).toBe(401);
    expect((await rawLogin('changer', 'first-password-1')).status).toBe(401);
    expect((await rawLogin('changer', 'second-password-2')).status).toBe(200);
  });

  test('every answer carries the security headers; the CSP allows no inline script and only this origin', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/health/live`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  test('invalid login bodies and invalid JSON are 400 naming the field and reason', async () => {
    const missing = await t.anonymous.post<ErrorBody>('/api/v1/auth/login', { username: 'admin' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('INVALID_REQUEST');
    expect(missing.body.error.message).toMatch(/password: .*expected string/i);
    const extra = await t.anonymous.post<ErrorBody>('/api/v1/auth/login', { username: 'admin', password: 'x', remember: true });
    expect(extra.body.error.message).toContain('remember');
    const json = await t.anonymous.post<ErrorBody>('/api/v1/auth/login', '{"username": ');
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('INVALID_JSON');
  });
});

describe('login rate limiting', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => t?.stop());

  test('the sixth wrong password for one account from one address within 15 minutes is 429 RATE_LIMITED with Retry-After, even if right', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await t.anonymous.post('/api/v1/auth/login', { username: 'manager', password: `wrong-${i}` })).status).toBe(401);
    }
    const limited = await t.anonymous.post<ErrorBody>('/api/v1/auth/login', {
      username: 'manager',
      password: TEST_PASSWORDS.manager,
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(800);
    // Another account from the same address is not locked out by these five.
    expect(
      (await t.anonymous.post('/api/v1/auth/login', { username: 'operator', password: TEST_PASSWORDS.operator })).status,
    ).toBe(200);
  });

  test('one address trying many usernames is stopped after 20 failures', async () => {
    let status = 0;
    for (let i = 0; i < 25 && status !== 429; i++) {
      status = (await t.anonymous.post('/api/v1/auth/login', { username: `guess-${i}`, password: 'wrong-password' })).status;
    }
    expect(status).toBe(429);
  });
});

describe('the session cookie over HTTPS', () => {
  const cert = makeSelfSignedCertificate();
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({ HTTPS: 'on', TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile });
  });
  afterAll(async () => {
    await t?.stop();
    await rm(cert.dir, { recursive: true, force: true });
  });

  test('is marked Secure when the dashboard is served over TLS', async () => {
    const body = JSON.stringify({ username: 'operator', password: TEST_PASSWORDS.operator });
    const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: t.platform.dashboard.port,
          path: '/api/v1/auth/login',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          ca: readFileSync(cert.certFile),
          servername: 'localhost',
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0] ?? '' }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(200);
    expect(answer.cookie).toMatch(/^kf_session=.*; Secure/);
  });
});
