import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PERSON_ROLES, type Role } from '../../../dashboard/auth/roles.js';
import {
  HOSTILE_BODIES,
  HOSTILE_QUERY_VALUES,
  HOSTILE_SEGMENTS,
  HOSTILE_VALUES,
  type HostilePlatform,
  LOGOUT,
  PASSWORD,
  probe,
  QUERY_KEYS,
  RAW_QUERIES,
  type RouteCase,
  sendRaw,
  sessionOf,
  startHostilePlatform,
  withQuery,
} from './http-hostile.js';

/**
 * The HTTP hostile-input catalogue: every route of the access matrix, as every role, fed bodies,
 * fields, queries and path segments an attacker would send. Every answer is a deliberate one (never
 * a 500, always `{error: {code, message}}` when refused), and after each case the platform still
 * answers.
 */
let h: HostilePlatform;
const unhandled: unknown[] = [];
const record = (error: unknown) => unhandled.push(error);

beforeAll(async () => {
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  h = await startHostilePlatform();
});
afterAll(async () => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
  await h?.t.stop();
});

const isAllowed = (route: RouteCase, role: Role) => route.rule.roles === 'public' || route.rule.roles.includes(role);
/** A role the route lets in (the admin for most), so the input reaches its validation. */
const allowedRole = (route: RouteCase): Role =>
  route.rule.roles === 'public' ? 'admin' : route.rule.roles.includes('admin') ? 'admin' : route.rule.roles[0]!;

/** One call, then the checks every case shares: a deliberate answer, and a platform still up. */
async function expectHandled(
  what: string,
  route: RouteCase,
  role: Role,
  pathAndQuery: string,
  body?: string | Uint8Array<ArrayBuffer>,
) {
  const client = route.path === LOGOUT ? await freshSession(role) : route.path === PASSWORD ? h.target : h.clients.get(role)!;
  const { status, text } = await sendRaw(h.t.baseUrl, client, route.rule.method, pathAndQuery, body);
  const label = `${route.rule.method} ${pathAndQuery.slice(0, 120)} as ${role}, ${what}: ${status} ${text.slice(0, 200)}`;
  expect(status, label).toBeLessThan(500);
  if (status >= 400) {
    const answer = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof answer.error?.code, label).toBe('string');
    expect(typeof answer.error?.message, label).toBe('string');
  }
  await probe(h);
  expect(unhandled, label).toEqual([]);
}

const freshSession = async (role: Role) =>
  (PERSON_ROLES as readonly string[]).includes(role) ? sessionOf(h.t, role) : h.clients.get(role)!;

const routes = () => h.routes;
const withBody = (r: RouteCase) => r.body !== undefined;

describe('hostile bodies', () => {
  test('every route that takes a body, as a role it allows: each hostile body is refused or handled, never a 500', async () => {
    for (const route of routes().filter(withBody)) {
      for (const [what, body] of HOSTILE_BODIES) {
        await expectHandled(what, route, allowedRole(route), withQuery(route.path, route.query), body);
      }
    }
  });

  test('every route, as every role: a deeply nested body, a __proto__ key and invalid UTF-8', async () => {
    const decisive = HOSTILE_BODIES.filter(([what]) => /nested|__proto__|UTF-8/.test(what));
    for (const route of routes()) {
      for (const role of h.clients.keys()) {
        for (const [what, body] of decisive) {
          const sent = route.rule.method === 'GET' ? undefined : body;
          await expectHandled(`${what} (${isAllowed(route, role) ? 'allowed' : 'refused'})`, route, role, route.path, sent);
        }
      }
    }
  });

  test('a __proto__ key does not reach any object’s prototype', () => {
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('hostile fields', () => {
  test('every field of every template body replaced by each hostile value, and unknown fields added', async () => {
    for (const route of routes().filter(withBody)) {
      const template = route.body!;
      for (const field of [...Object.keys(template), '__proto__', 'constructor', 'extra']) {
        for (const value of HOSTILE_VALUES) {
          const body = JSON.stringify({ ...template, [field]: value });
          await expectHandled(`${field}=${JSON.stringify(value)?.slice(0, 40)}`, route, allowedRole(route), route.path, body);
        }
      }
    }
  });
});

describe('hostile queries', () => {
  test('every GET route: each query key set to each hostile value, over the template query', async () => {
    for (const route of routes().filter((r) => r.rule.method === 'GET')) {
      const keys = [...new Set([...Object.keys(route.query), ...QUERY_KEYS.slice(0, 6)])];
      for (const key of keys) {
        for (const value of HOSTILE_QUERY_VALUES) {
          await expectHandled(
            `${key}=${value.slice(0, 40)}`,
            route,
            allowedRole(route),
            withQuery(route.path, { ...route.query, [key]: value }),
          );
        }
      }
    }
  });

  test('every GET route: repeated, array-valued, undecodable and absurd raw queries', async () => {
    for (const route of routes().filter((r) => r.rule.method === 'GET')) {
      for (const raw of RAW_QUERIES) {
        await expectHandled(raw.slice(0, 60), route, allowedRole(route), `${route.path}?${raw}`);
      }
      for (const key of QUERY_KEYS) {
        await expectHandled(`${key} twice`, route, allowedRole(route), `${route.path}?${key}=1&${key}=2`);
      }
    }
  });

  test('a month past 9998 or before 2000 is a 400 naming the field, not a 500', async () => {
    const manager = h.clients.get('manager')!;
    for (const path of [
      '/api/v1/reports/circulation?from=9999-12&to=9999-12',
      '/api/v1/reports/utilisation?from=9999-12&to=9999-12',
      '/api/v1/reports/circulation?from=1999-12&to=2000-01',
    ]) {
      const res = await manager.get<{ error: { code: string; message: string } }>(path);
      expect([res.status, res.body.error.code], path).toEqual([400, 'INVALID_REQUEST']);
      expect(res.body.error.message, path).toMatch(/from|to/);
    }
  });
});

describe('hostile path segments', () => {
  test('every route with a path parameter: each hostile segment in its place', async () => {
    for (const route of routes().filter((r) => r.rule.path.includes(':'))) {
      for (const segment of HOSTILE_SEGMENTS) {
        const path = route.rule.path.replace(/:[a-zA-Z]+/, segment).replace(/:[a-zA-Z]+/g, 'FZ-404');
        const body = route.body === undefined ? undefined : JSON.stringify(route.body);
        await expectHandled(`segment ${segment.slice(0, 20)}`, route, allowedRole(route), path, body);
      }
    }
  });
});
