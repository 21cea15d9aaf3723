import type { Socket } from 'socket.io-client';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACCESS_MATRIX, type AccessRule, SOCKET_MATRIX } from '../../dashboard/auth/access-matrix.js';
import { INTEGRATION_ROLES, PERSON_ROLES, type Role } from '../../dashboard/auth/roles.js';
import { mountedRoutes } from '../support/mounted-routes.js';
import { type ApiClient, startTestPlatform, TEST_PASSWORDS, type TestPlatform } from '../support/platform-harness.js';

interface ErrorBody {
  error?: { code: string; message: string };
}

const ruleKey = (r: AccessRule) => `${r.method} ${r.path}`;
const concrete = (path: string) => path.replace(':username', 'nobody').replace(/:[a-zA-Z]+/g, 'MX-404');
const isAllowed = (rule: AccessRule, role: Role) => rule.roles === 'public' || rule.roles.includes(role);
/** Who the audit log names: the seeded person (named after the role), or the token's name. */
const actorOf = (role: Role) => ((PERSON_ROLES as readonly Role[]).includes(role) ? role : `test ${role}`);

describe('the role matrix: every role × every route and socket event', () => {
  let t: TestPlatform;
  const clients = new Map<Role, ApiClient>();
  beforeAll(async () => {
    t = await startTestPlatform();
    for (const role of PERSON_ROLES) clients.set(role, await t.login(role, TEST_PASSWORDS[role]));
    for (const role of INTEGRATION_ROLES) clients.set(role, await t.bearer(role));
  });
  afterAll(async () => t?.stop());

  test('every route the dashboard mounts has a rule, and every rule a route (a new unguarded route fails here)', () => {
    const mounted = mountedRoutes(t.platform.dashboard.app);
    expect(mounted.length).toBeGreaterThan(40);
    expect(mounted).toEqual([...new Set(ACCESS_MATRIX.map(ruleKey))].sort());
  });

  test('every state-changing route names the action it is audited as', () => {
    expect(ACCESS_MATRIX.filter((r) => r.method !== 'GET' && r.roles !== 'public' && !r.audit)).toEqual([]);
  });

  test.each(ACCESS_MATRIX.filter((r) => r.roles !== 'public').map((r) => [ruleKey(r), r] as const))(
    '%s: 401 without credentials, 403 for the roles not listed, through for those listed; each call audited',
    async (_key, rule) => {
      const path = concrete(rule.path);
      const fromMs = Date.now();
      const body = rule.method === 'GET' || rule.method === 'DELETE' ? undefined : {};
      const anonymous = await t.anonymous.request<ErrorBody>(rule.method, path, body);
      expect([anonymous.status, anonymous.body?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
      for (const [role, client] of clients) {
        // Signing out is tried on a session of its own, so the others stay signed in.
        const as =
          rule.path === '/api/v1/auth/logout' && clients.get(role)?.csrfToken
            ? await t.login(role, TEST_PASSWORDS[role as keyof typeof TEST_PASSWORDS])
            : client;
        const res = await as.request<ErrorBody>(rule.method, path, body);
        const outcome = `${role}: ${res.status} ${res.body?.error?.code ?? ''}`;
        if (isAllowed(rule, role)) {
          expect(res.status, outcome).not.toBe(401);
          expect(['FORBIDDEN', 'CSRF_FAILED'], outcome).not.toContain(res.body?.error?.code);
        } else {
          expect([res.status, res.body?.error?.code], outcome).toEqual([403, 'FORBIDDEN']);
        }
      }
      // The audit log, read back: a state-changing call leaves a row for every role (denied, or
      // done or failed as its answer says); any other refused call, a row as an access denied.
      // (Signing out signs in first: those rows are another action's.)
      const isAudited = rule.audit !== undefined && rule.method !== 'GET';
      const action = isAudited ? rule.audit! : `access ${rule.method} ${rule.path}`;
      const expected = [...clients.keys()]
        .map((role) => {
          if (!isAllowed(rule, role)) return `${actorOf(role)} ${action} denied`;
          return isAudited ? `${actorOf(role)} ${action} done` : null;
        })
        .filter((row) => row !== null)
        .sort();
      await expect
        .poll(async () =>
          (await t.platform.auth.audit.query({ fromMs, action, limit: 1_000 }))
            .map((e) => `${e.actor} ${e.action} ${e.outcome === 'denied' ? 'denied' : 'done'}`)
            .sort(),
        )
        .toEqual(expected);
    },
  );

  test("the public routes answer without credentials: login (400 for an empty body), liveness, the readers' status and the OpenAPI document", async () => {
    expect((await t.anonymous.post<ErrorBody>('/api/v1/auth/login', {})).status).toBe(400);
    const live = await t.anonymous.get('/api/v1/health/live');
    expect([live.status, live.body]).toEqual([200, { status: 'ok' }]);
    expect((await t.anonymous.get('/api/v1/public/status')).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/status`)).status).toBe(200);
    expect(
      ACCESS_MATRIX.filter((r) => r.roles === 'public')
        .map(ruleKey)
        .sort(),
    ).toEqual([
      'GET /api/v1/health/live',
      'GET /api/v1/openapi.json',
      'GET /api/v1/public/status',
      'GET /status',
      'POST /api/v1/auth/login',
      // Not open: they answer 404 unless EMQX_HOOK_SECRET is set, and 401 without it as a bearer.
      'POST /api/v1/emqx/authenticate',
      'POST /api/v1/emqx/authorize',
    ]);
    expect((await t.anonymous.post('/api/v1/emqx/authorize', {})).status).toBe(404);
  });

  test('an unknown API path is 401 without credentials and 404 with them; the page itself is public', async () => {
    expect((await t.anonymous.get('/api/v1/nothing-here')).status).toBe(401);
    expect((await t.anonymous.get('/api')).status).toBe(401);
    const known = await clients.get('admin')!.get<ErrorBody>('/api/v1/nothing-here');
    expect([known.status, known.body?.error?.code]).toEqual([404, 'NOT_FOUND']);
    expect((await t.anonymous.get('/socket.io/socket.io.js')).status).toBe(200);
    // Spellings express would route to the API are guarded too.
    for (const path of ['/API/v1/users', '/Api/V1/Audit', '//api/v1/users', '/api/v1/users/', '/METRICS']) {
      expect((await t.anonymous.get(path)).status, path).toBe(401);
      expect((await clients.get('operator')!.get(path)).status, path).not.toBe(200);
    }
  });

  describe('socket.io', () => {
    const connect = (options: Parameters<typeof connectSocket>[1]) =>
      connectSocket(t.baseUrl, { transports: ['websocket'], reconnection: false, ...options });
    const outcome = (socket: Socket) =>
      new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (error) => resolve(error.message));
      });

    test.each([...PERSON_ROLES, ...INTEGRATION_ROLES])('%s: may connect only if the socket matrix allows it', async (role) => {
      const client = clients.get(role)!;
      const bearer = client.headers.authorization?.slice('Bearer '.length);
      const socket = bearer ? connect({ auth: { token: bearer } }) : connect({ extraHeaders: client.headers });
      try {
        const expected = (SOCKET_MATRIX.connect as readonly string[]).includes(role) ? 'connected' : 'FORBIDDEN';
        expect(await outcome(socket)).toBe(expected);
      } finally {
        socket.close();
      }
    });

    test('without a session cookie or token: connect_error UNAUTHENTICATED, and not one event', async () => {
      for (const options of [{}, { extraHeaders: { cookie: `kf_session=${'x'.repeat(43)}` } }, { auth: { token: 'nope' } }]) {
        const socket = connect(options);
        const received: string[] = [];
        socket.onAny((event: string) => received.push(event));
        try {
          expect(await outcome(socket)).toBe('UNAUTHENTICATED');
          await new Promise((resolve) => setTimeout(resolve, 300)); // pushes go out every 50 ms
          expect(received).toEqual([]);
        } finally {
          socket.close();
        }
      }
    });

    test('a handshake from a foreign Origin is refused even with a valid session', async () => {
      const { headers } = clients.get('operator')!;
      const socket = connect({ transports: ['polling'], extraHeaders: { ...headers, origin: 'https://evil.example' } });
      try {
        expect(await outcome(socket)).not.toBe('connected');
      } finally {
        socket.close();
      }
    });
  });
});
