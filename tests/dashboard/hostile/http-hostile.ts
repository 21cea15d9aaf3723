import { ACCESS_MATRIX, type AccessRule } from '../../../dashboard/auth/access-matrix.js';
import { INTEGRATION_ROLES, PERSON_ROLES, type Role } from '../../../dashboard/auth/roles.js';
import { SESSION_COOKIE } from '../../../dashboard/auth/auth-service.js';
import { type ApiClient, apiClient, startTestPlatform, type TestPlatform } from '../../support/platform-harness.js';

/**
 * What the HTTP hostile-input catalogue and fuzz share: a platform with one client per role, the
 * routes of the access matrix with valid-looking templates, and the hostile values they are fed.
 */

/** A machine that exists, a user that exists, a reservation and an alert id that do not. */
export const KIOSK = 'HX-001';
export const USER = 'fuzz-target';

/** Signing out ends the session the next case would use: tried on sessions of its own. */
export const LOGOUT = '/api/v1/auth/logout';
/** A wrong current password counts as a failed sign-in: tried as USER, so the others may sign in again. */
export const PASSWORD = '/api/v1/auth/password';

export interface HostilePlatform {
  t: TestPlatform;
  clients: Map<Role, ApiClient>;
  /** Signed in as USER. */
  target: ApiClient;
  /** The routes with a concrete path, a template body and a template query. */
  routes: RouteCase[];
}

export interface RouteCase {
  rule: AccessRule;
  path: string;
  body: Record<string, unknown> | undefined;
  query: Record<string, string>;
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const anHourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

/** Bodies and queries that pass validation (or nearly): mutations of them reach deeper code. */
function templates(rule: AccessRule): Pick<RouteCase, 'body' | 'query'> {
  const key = `${rule.method} ${rule.path}`;
  const bodies: Record<string, Record<string, unknown>> = {
    'POST /api/v1/auth/login': { username: 'nobody-here', password: 'wrong-password-1' },
    'POST /api/v1/auth/password': { currentPassword: 'not-the-current-one', newPassword: 'a-new-password-123' },
    'POST /api/v1/auth/tokens': { name: 'fuzz token', role: 'metrics' },
    'POST /api/v1/users': { username: 'fuzz-new', displayName: 'Fuzz', role: 'operator', password: 'fuzz-password-123' },
    'PATCH /api/v1/users/:username': { displayName: 'Fuzz target' },
    'POST /api/v1/kiosks': { id: 'HX-NEW', name: 'Hostile', district: 'Test', lat: 39.9, lon: 116.4 },
    'POST /api/v1/kiosks/:id/commands': { type: 'pause', reason: 'fuzz' },
    'POST /api/v1/kiosks/:id/maintenance': { from: anHourAgo(), to: inAnHour(), reason: 'fuzz' },
    'POST /api/v1/alerts/:id/assign': { assignee: 'maintenance', note: 'fuzz' },
    'POST /api/v1/alerts/:id/comment': { text: 'fuzz' },
    'POST /api/v1/inspections': { kioskId: KIOSK, inspector: 'fuzz', result: 'pass', inspectedAt: anHourAgo() },
    'POST /api/v1/reservations': {
      reservationId: 'FZ-1',
      createdAt: anHourAgo(),
      destination: { kind: 'kiosk', kioskId: KIOSK },
    },
    'POST /api/v1/reservations/:id/delivered': { deliveredAt: anHourAgo() },
    'POST /api/v1/reservations/:id/cancel': { reason: 'fuzz' },
    'PATCH /api/v1/reports/targets': { weeklyInspectionRatio: 0.95 },
  };
  const queries: Record<string, Record<string, string>> = {
    'GET /api/v1/events': { kioskId: KIOSK, from: '2023-01-01T00:00:00+08:00', to: '2024-01-01T00:00:00+08:00', limit: '10' },
    'GET /api/v1/audit': { from: '2023-01-01T00:00:00Z', limit: '10' },
    'GET /api/v1/dead-letters': { limit: '10' },
    'GET /api/v1/alerts': { state: 'open', limit: '10' },
    'GET /api/v1/kiosks': { state: 'in_service' },
    'GET /api/v1/kiosks/:id/history/telemetry': { hours: '24' },
    'GET /api/v1/kiosks/:id/history/circulation': { days: '30' },
    'GET /api/v1/uptime': { window: '24h' },
    'GET /api/v1/uptime/timeline': { window: '24h', kiosk: KIOSK },
    'GET /api/v1/inspections': { week: '2023-W10' },
    'GET /api/v1/inspections/compliance': { from: '2023-W01', to: '2023-W10' },
    'GET /api/v1/inspections/history': { from: '2023-W01', to: '2023-W10', kiosk: KIOSK },
    'GET /api/v1/reservations': { limit: '10' },
    'GET /api/v1/reservations/on-time': { from: '2023-01', to: '2023-12' },
    'GET /api/v1/reports/circulation': { from: '2023-01', to: '2023-12', lang: 'zh' },
    'GET /api/v1/reports/indicators': { year: '2023', lang: 'zh' },
    'GET /api/v1/reports/utilisation': { from: '2023-01', to: '2023-12' },
    'GET /api/v1/fault-response': { from: '2023-01', to: '2023-12' },
    'GET /api/v1/reliability': { from: '2023-01', to: '2023-12' },
  };
  return {
    body: rule.method === 'GET' || rule.method === 'DELETE' ? undefined : (bodies[key] ?? {}),
    query: queries[key] ?? {},
  };
}

const concrete = (path: string) =>
  path
    .replace(':username', USER)
    .replace('/kiosks/:id', `/kiosks/${KIOSK}`)
    .replace(/:[a-zA-Z]+/g, 'FZ-404');

export async function startHostilePlatform(): Promise<HostilePlatform> {
  const t = await startTestPlatform();
  const clients = new Map<Role, ApiClient>();
  let target: ApiClient;
  try {
    for (const role of PERSON_ROLES) clients.set(role, await sessionOf(t, role));
    for (const role of INTEGRATION_ROLES) clients.set(role, await t.bearer(role));
    await t.provision(KIOSK);
    target = await t.user(USER, 'operator');
  } catch (error) {
    await t.stop();
    throw error;
  }
  const routes = ACCESS_MATRIX.map((rule) => ({ rule, path: concrete(rule.path), ...templates(rule) }));
  return { t, clients, target, routes };
}

/**
 * A new session of a seeded person, opened in process: signing out ends one, and signing in over
 * HTTP this often would be throttled (the login route's cases fail sign-ins from this address).
 */
export async function sessionOf(t: TestPlatform, username: string): Promise<ApiClient> {
  const { cookieValue, session } = await t.platform.auth.sessions.open(username, '127.0.0.1');
  return apiClient(t.baseUrl, { cookie: `${SESSION_COOKIE}=${cookieValue}` }, session.csrfToken);
}

/** Answers a call that is not valid JSON: raw bytes with a JSON content type. */
export async function sendRaw(
  baseUrl: string,
  client: ApiClient,
  method: string,
  pathAndQuery: string,
  body?: string | Uint8Array<ArrayBuffer>,
  contentType = 'application/json',
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl}${pathAndQuery}`, {
    method,
    headers: {
      ...client.headers,
      ...(client.csrfToken && method !== 'GET' ? { 'x-csrf-token': client.csrfToken } : {}),
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, text: await res.text() };
}

/** The platform still answers: liveness without credentials, and the admin's own session. */
export async function probe(h: HostilePlatform): Promise<void> {
  const live = await fetch(`${h.t.baseUrl}/api/v1/health/live`);
  if (live.status !== 200) throw new Error(`liveness answered ${live.status}`);
  const me = await h.clients.get('admin')!.get('/api/v1/auth/me');
  if (me.status !== 200) throw new Error(`the admin's session answered ${me.status}`);
}

export const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
export const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** JSON bodies that are hostile as a whole. */
export const HOSTILE_BODIES: Array<[string, string | Uint8Array<ArrayBuffer>]> = [
  ['5,000 nested arrays', deepArray(5_000)],
  ['40,000 nested objects', deepObject(40_000)],
  ['nesting just under the bound', deepObject(31)],
  ['an array of 60,000 numbers', JSON.stringify(Array.from({ length: 60_000 }, (_, i) => i))],
  ['a 200,000-character string', JSON.stringify({ name: 'x'.repeat(200_000) })],
  ['more than the size bound', JSON.stringify({ name: 'x'.repeat(300_000) })],
  ['null', 'null'],
  ['a bare string', '"text"'],
  ['a number', '42'],
  ['true', 'true'],
  ['an empty array', '[]'],
  ['an empty object', '{}'],
  ['a __proto__ key', '{"__proto__":{"isAdmin":true,"role":"admin"},"role":"admin"}'],
  ['a constructor key', '{"constructor":{"prototype":{"polluted":true}}}'],
  ['NUL and control characters', JSON.stringify({ name: 'a\u0000b\u0001\u001b[31m', id: '\u0000', reason: '\r\n\t' })],
  ['bidi override characters', JSON.stringify({ name: '\u202egnp.exe', id: 'A\u202e', text: '\u2066x\u2069' })],
  ['invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])],
  ['truncated JSON', '{"id": "HX'],
  ['huge numbers', '{"lat": 1e309, "lon": -1e309, "limit": 99999999999999999999999}'],
  ['a 1,000-key object', JSON.stringify(Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i])))],
];

/** Values put in place of a template's fields (and in path segments and queries). */
export const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'x'.repeat(10_000),
  '\u0000',
  'a\u0000b',
  '\u001b[2J',
  '\u202e\u2066',
  '\ud800',
  '9999-12',
  '0000-00',
  '2023-13',
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59+14:00',
  '0001-01-01T00:00:00Z',
  '2000-01-01T00:00:00+08:00',
  'NaN',
  'Infinity',
  '1e999',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  [],
  ['a', 'b'],
  {},
  { __proto__: null, nested: { deeper: [1, 2, 3] } },
  Array.from({ length: 5_000 }, () => 'x'),
];

/** Query values: strings only, as a URL carries them. */
export const HOSTILE_QUERY_VALUES: string[] = [
  '',
  '9999-12',
  '0000-00',
  '2023-13',
  '99999',
  '-1',
  '0',
  '1e309',
  'NaN',
  'Infinity',
  '9999-W53',
  '2023-W99',
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59+14:00',
  '1969-12-31T23:59:59Z',
  '\u0000',
  '\u001b[31m',
  '\u202e',
  '__proto__',
  'x'.repeat(4_000),
  '1h',
  '100000d',
  '9007199254740993',
];

/** Query keys the routes take, and some they do not. */
export const QUERY_KEYS = [
  'from',
  'to',
  'month',
  'year',
  'week',
  'kiosk',
  'kioskId',
  'district',
  'format',
  'lang',
  'limit',
  'before',
  'after',
  'order',
  'state',
  'type',
  'hours',
  'days',
  'window',
  'connection',
  'farBelow',
  'circulationTarget',
  'machinesTarget',
  'actor',
  'action',
  '__proto__',
  'constructor',
];

/** Raw query strings a URL builder would never make. */
export const RAW_QUERIES = [
  'from=2023-01&from=2023-02&to=2023-12&to=2023-11',
  'from[]=2023-01&to[]=2023-12',
  'from[a]=1&to[b]=2',
  'year=2023&year=2024',
  'limit=1&limit=2',
  'format=csv&format=xlsx',
  'kiosk=A&kiosk=B&kiosk=C',
  'from=%ff%fe&to=%c3%28',
  'from=%00&to=%00',
  '%ff=1',
  '__proto__[polluted]=1',
  'constructor[prototype][polluted]=1',
  'from=9999-12&to=9999-12',
  'from=0000-01&to=9999-12',
  'year=9999',
  'year=2000&format=csv&lang=zh',
  'month=9999-12',
  `${'a=1&'.repeat(2_000)}b=2`,
];

/** Path segments in place of an id. */
export const HOSTILE_SEGMENTS = [
  '%00',
  '%ff%fe',
  '%c3%28',
  '%E2%80%AE',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '..%2F..%2Fetc',
  'x'.repeat(2_000),
  '%20',
  '-',
];

export function withQuery(path: string, query: Record<string, string>): string {
  const text = new URLSearchParams(query).toString();
  return text === '' ? path : `${path}?${text}`;
}
