import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { ACCESS_MATRIX, type AccessRule } from '../../dashboard/auth/access-matrix.js';
import { INTEGRATION_ROLES, PERSON_ROLES, type Role } from '../../dashboard/auth/roles.js';
import { ANSWERS, apiErrorAnswer } from '../../dashboard/openapi/answers.js';
import { API_ROUTES } from '../../dashboard/openapi/api-routes.js';
import { documentedStatuses } from '../../dashboard/openapi/build-document.js';
import { startHttpReceiver } from '../notify/receivers.js';
import { mountedRoutes } from '../support/mounted-routes.js';
import { type ApiAnswer, type ApiClient, apiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { type Captured, EMQX_TEST_SECRET, successCalls } from './openapi-calls.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

const routeKey = (rule: Pick<AccessRule, 'method' | 'path'>) => `${rule.method} ${rule.path}`;
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');
/**
 * The documented statuses of every route, as `METHOD /path STATUS`. A 503 needs a part stopped (Redis
 * for a command across nodes): tests/cluster/outages.test.ts makes those calls, not this file.
 */
const DOCUMENTED = ACCESS_MATRIX.flatMap((rule) =>
  documentedStatuses(rule, API_ROUTES[routeKey(rule)]!)
    .filter((status) => status !== 503)
    .map((status) => `${routeKey(rule)} ${status}`),
).sort();

describe('the OpenAPI document of the REST API', () => {
  let t: TestPlatform;
  let document: OpenApiDocument;
  let refusing: Awaited<ReturnType<typeof startHttpReceiver>> | undefined;
  let notifyDir: string | undefined;
  const clients = new Map<string, ApiClient>();
  /** `METHOD /path STATUS` of every real call made, whose answer matched its documented schema. */
  const exercised = new Set<string>();

  const clientFor = async (as: Role | 'anonymous' | 'fresh-session' | 'emqx'): Promise<ApiClient> => {
    if (as === 'anonymous') return t.anonymous;
    if (as === 'emqx') return apiClient(t.baseUrl, { authorization: `Bearer ${EMQX_TEST_SECRET}` });
    if (as === 'fresh-session') return t.login('openapi-user', 'openapi-password-1');
    if (!clients.has(as))
      clients.set(as, (PERSON_ROLES as readonly string[]).includes(as) ? await t.api(as as 'admin') : await t.bearer(as));
    return clients.get(as)!;
  };

  /** Checks an answer against what the document says of its route and status, and notes it exercised. */
  const checkAnswer = (route: string, res: ApiAnswer<unknown>) => {
    const [method, path] = route.split(' ') as [string, string];
    const documented = document.paths[toOpenApiPath(path)]?.[method.toLowerCase()]?.responses;
    expect(Object.keys(documented ?? {}), `${route} answered ${res.status}: ${JSON.stringify(res.body)}`).toContain(
      String(res.status),
    );
    const doc = API_ROUTES[route]!;
    if (res.status === doc.ok) {
      const schema = (ANSWERS as Record<string, (typeof ANSWERS)[keyof typeof ANSWERS] | undefined>)[route];
      if (res.status === 204) expect(res.body).toBeNull();
      else if (schema) {
        const parsed = schema.safeParse(res.body);
        expect(parsed.success, `${route}: ${JSON.stringify(parsed.error?.issues.slice(0, 3))}`).toBe(true);
      } else expect(typeof res.body, route).toBe('string');
    } else {
      expect(apiErrorAnswer.safeParse(res.body).success, `${route} ${res.status}: ${JSON.stringify(res.body)}`).toBe(true);
    }
    exercised.add(`${route} ${res.status}`);
  };

  beforeAll(async () => {
    // One notification channel, whose receiver refuses everything: its messages are held for a person.
    refusing = await startHttpReceiver(() => ({ status: 400, body: { error: 'no' } }));
    notifyDir = await mkdtemp(join(tmpdir(), 'kiosk-openapi-'));
    const notifyConfig = join(notifyDir, 'notify.json');
    await writeFile(
      notifyConfig,
      JSON.stringify({
        channels: [{ name: 'hook', type: 'webhook', url: `${refusing.url}/hook` }],
        rules: [{ channels: ['hook'], severities: ['critical'] }],
      }),
    );
    t = await startTestPlatform({ NOTIFY_CONFIG: notifyConfig, EMQX_HOOK_SECRET: EMQX_TEST_SECRET });
    document = (await t.anonymous.get<OpenApiDocument>('/api/v1/openapi.json')).body;
    // What the calls work on: a machine with an open fault (so an alert) and a reading, a reservation to cancel.
    const kiosk = await t.connectKiosk('OA-01', await t.provision('OA-01'));
    const ts = new Date().toISOString();
    const fault = {
      id: 'oa-f1',
      ts,
      type: 'fault',
      faultId: 'f1',
      component: 'receipt_printer',
      code: 'PAPER_OUT',
      severity: 'major',
    };
    await kiosk.publishAsync('kiosks/OA-01/events', JSON.stringify(fault), { qos: 1 });
    await kiosk.publishAsync('kiosks/OA-01/telemetry', JSON.stringify({ ts, temperatureC: 21 }), { qos: 1 });
    await vi.waitFor(
      async () => {
        const alerts = (await t.get<{ alerts?: unknown[] }>('/api/v1/alerts?kiosk=OA-01')).body.alerts ?? [];
        if (alerts.length !== 1) throw new Error('the fault has opened no alert yet');
      },
      { timeout: 10_000, interval: 50 },
    );
    const lending = await clientFor('lending');
    const created = await lending.post('/api/v1/reservations', {
      reservationId: 'R-OA-2',
      createdAt: new Date(Date.now() - 3_600_000).toISOString(),
      destination: { kind: 'home' },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
    await refusing?.close();
    if (notifyDir) await rm(notifyDir, { recursive: true, force: true });
  });

  test('is valid OpenAPI 3.1, by a validator nobody here wrote', async () => {
    const result = await new Validator().validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  test('names every route the dashboard serves under /api and /metrics, and none that it does not', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const served = mountedRoutes(t.platform.dashboard.app)
      .map((route) => route.replace(/:([A-Za-z]+)/g, '{$1}'))
      .sort();
    expect(documented).toEqual(served);
    expect(documented).toEqual([...new Set(ACCESS_MATRIX.map((r) => `${r.method} ${toOpenApiPath(r.path)}`))].sort());
  });

  test('every route answers its documented success with an answer its schema accepts', async () => {
    const captured: Captured = {};
    for (const call of successCalls(Date.now())) {
      const client = await clientFor(call.as);
      const path = typeof call.path === 'function' ? call.path(captured) : call.path;
      const body = typeof call.body === 'function' ? (call.body as (c: Captured) => unknown)(captured) : call.body;
      if (call.awaits) {
        const { path: awaited, until } = call.awaits;
        await expect.poll(async () => until((await client.get(awaited)).body, captured), { timeout: 10_000 }).toBe(true);
      }
      const res = await client.request(call.route.split(' ')[0]!, path, body);
      expect([call.route, res.status]).toEqual([call.route, call.status]);
      checkAnswer(call.route, res);
      call.capture?.(res.body, captured);
    }
  });

  test('every route answers each documented error: 400, 401, 403 and 404 where they apply', async () => {
    const calls = successCalls(Date.now());
    for (const rule of ACCESS_MATRIX) {
      const route = routeKey(rule);
      const doc = API_ROUTES[route]!;
      const statuses = documentedStatuses(rule, doc);
      const success = calls.find((c) => c.route === route)!;
      const path = typeof success.path === 'string' ? success.path : rule.path.replace(/:[A-Za-z]+/g, 'MX-404');
      const body =
        rule.method === 'GET' || rule.method === 'DELETE'
          ? undefined
          : typeof success.body === 'function'
            ? {}
            : (success.body ?? {});
      const allowed = rule.roles === 'public' ? [] : rule.roles;
      const someAllowed = (allowed.find((r) => r === 'admin') ?? allowed[0]) as Role | undefined;
      if (statuses.includes(401)) checkAnswer(route, await t.anonymous.request(rule.method, path, body));
      if (statuses.includes(403)) {
        const refused = [...PERSON_ROLES, ...INTEGRATION_ROLES].find((r) => !(allowed as readonly string[]).includes(r))!;
        const res = await (await clientFor(refused)).request(rule.method, path, body);
        expect(res.status, `${route} as ${refused}`).toBe(403);
        checkAnswer(route, res);
      }
      if (statuses.includes(400)) {
        const as = someAllowed ? await clientFor(someAllowed) : doc.hasOwnSecret ? await clientFor('emqx') : t.anonymous;
        const bad = doc.body
          ? await as.request(rule.method, path, { __unknown: 1 })
          : doc.query
            ? await as.request(rule.method, `${path}${path.includes('?') ? '&' : '?'}__unknown=1`, body)
            : await as.request(rule.method, rule.path.replace(/:[A-Za-z]+/g, 'not%20valid!'), body);
        expect(bad.status, `${route}: ${JSON.stringify(bad.body)}`).toBe(400);
        checkAnswer(route, bad);
      }
      if (statuses.includes(404)) {
        const missing = rule.path
          .replace(':username', 'nobody')
          .replace('/outbox/:id', '/outbox/999999')
          .replace(/:[A-Za-z]+/g, 'MX-404');
        const res = await (await clientFor(someAllowed!)).request(rule.method, missing, body);
        expect(res.status, `${route}: ${JSON.stringify(res.body)}`).toBe(404);
        checkAnswer(route, res);
      }
    }
  });

  test('every route × documented status was exercised by a real call above', () => {
    expect([...exercised].sort()).toEqual(DOCUMENTED);
  });

  test('the reference page and its files are served from here, under the dashboard’s Content-Security-Policy', async () => {
    const page = await fetch(`${t.baseUrl}/docs/api/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style|https?:\/\//);
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'reference.js']) {
      expect((await fetch(`${t.baseUrl}/docs/api/${asset}`)).status, asset).toBe(200);
    }
  });
});
