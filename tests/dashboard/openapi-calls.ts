import type { Role } from '../../dashboard/auth/roles.js';

/** The EMQX hooks' secret the OpenAPI test's platform is started with. */
export const EMQX_TEST_SECRET = 'openapi-test-emqx-hook-secret-0123456789';

/** What earlier calls answered that later ones need (ids). */
export type Captured = Record<string, string>;

/** One real call that answers with a route's documented success status. */
export interface SuccessCall {
  /** `METHOD /api/v1/path` as in the access matrix. */
  route: string;
  /**
   * `fresh-session`: a new sign-in of user `openapi-user` (created by an earlier call); `emqx`:
   * EMQX calling its hooks with the bearer {@link EMQX_TEST_SECRET}.
   */
  as: Role | 'anonymous' | 'fresh-session' | 'emqx';
  path: string | ((c: Captured) => string);
  body?: unknown | ((c: Captured) => unknown);
  status: number;
  /** Keeps what later calls need from the answer. */
  capture?: (body: unknown, c: Captured) => void;
  /** What must have happened first (an outbox entry held, say), polled until it has. */
  awaits?: { path: string; until: (body: unknown, c: Captured) => boolean };
}

/** The test message is held once its channel refused it (the test's webhook answers 400). */
const heldTestMessage = {
  path: '/api/v1/notifications/outbox?state=held',
  until: (body: unknown, c: Captured) =>
    (body as { entries?: { id: number }[] }).entries?.some((e) => String(e.id) === c.entryId) ?? false,
};

const dayMs = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A call per route, in an order that makes each possible: machines are provisioned before their
 * commands, an alert exists (a fault published by the test) before it is acknowledged, and so on.
 */
export function successCalls(nowMs: number): SuccessCall[] {
  const month = (back: number) => {
    const d = new Date(nowMs);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 15)).toISOString().slice(0, 7);
  };
  return [
    {
      route: 'POST /api/v1/auth/login',
      as: 'anonymous',
      path: '/api/v1/auth/login',
      body: { username: 'operator', password: 'operator-password-1' },
      status: 200,
    },
    { route: 'GET /api/v1/health/live', as: 'anonymous', path: '/api/v1/health/live', status: 200 },
    { route: 'GET /api/v1/openapi.json', as: 'anonymous', path: '/api/v1/openapi.json', status: 200 },
    { route: 'GET /status', as: 'anonymous', path: '/status', status: 200 },
    { route: 'GET /api/v1/public/status', as: 'anonymous', path: '/api/v1/public/status', status: 200 },
    { route: 'GET /api/v1/auth/me', as: 'operator', path: '/api/v1/auth/me', status: 200 },
    { route: 'GET /api/v1/auth/tokens', as: 'admin', path: '/api/v1/auth/tokens', status: 200 },
    {
      route: 'POST /api/v1/auth/tokens',
      as: 'admin',
      path: '/api/v1/auth/tokens',
      body: { name: 'openapi test', role: 'metrics' },
      status: 201,
      capture: (b, c) => (c.tokenId = (b as { token: { id: string } }).token.id),
    },
    { route: 'DELETE /api/v1/auth/tokens/:id', as: 'admin', path: (c) => `/api/v1/auth/tokens/${c.tokenId}`, status: 204 },
    { route: 'GET /api/v1/users', as: 'admin', path: '/api/v1/users', status: 200 },
    { route: 'GET /api/v1/assignees', as: 'admin', path: '/api/v1/assignees', status: 200 },
    {
      route: 'POST /api/v1/users',
      as: 'admin',
      path: '/api/v1/users',
      body: {
        username: 'openapi-user',
        displayName: 'OpenAPI',
        role: 'manager',
        password: 'openapi-password-1',
        mustChangePassword: false,
      },
      status: 201,
    },
    {
      route: 'PATCH /api/v1/users/:username',
      as: 'admin',
      path: '/api/v1/users/openapi-user',
      body: { displayName: 'OpenAPI user' },
      status: 200,
    },
    { route: 'POST /api/v1/auth/logout', as: 'fresh-session', path: '/api/v1/auth/logout', status: 204 },
    {
      route: 'POST /api/v1/auth/password',
      as: 'fresh-session',
      path: '/api/v1/auth/password',
      body: { currentPassword: 'openapi-password-1', newPassword: 'openapi-password-2' },
      status: 204,
    },
    { route: 'GET /api/v1/audit', as: 'admin', path: '/api/v1/audit', status: 200 },
    { route: 'GET /api/v1/health', as: 'admin', path: '/api/v1/health', status: 200 },
    { route: 'GET /metrics', as: 'admin', path: '/metrics', status: 200 },

    {
      route: 'POST /api/v1/kiosks',
      as: 'admin',
      path: '/api/v1/kiosks',
      body: { id: 'OA-02', name: 'Second', district: 'Test', lat: 39.9, lon: 116.4 },
      status: 201,
    },
    { route: 'GET /api/v1/kiosks', as: 'operator', path: '/api/v1/kiosks', status: 200 },
    { route: 'GET /api/v1/kiosks/:id', as: 'operator', path: '/api/v1/kiosks/OA-01', status: 200 },
    { route: 'GET /api/v1/kiosks/:id/activity', as: 'operator', path: '/api/v1/kiosks/OA-01/activity', status: 200 },
    {
      route: 'POST /api/v1/kiosks/:id/public-status',
      as: 'operator',
      path: '/api/v1/kiosks/OA-01/public-status',
      body: { hidden: false },
      status: 200,
    },
    {
      route: 'GET /api/v1/kiosks/:id/history/telemetry',
      as: 'operator',
      path: '/api/v1/kiosks/OA-01/history/telemetry',
      status: 200,
    },
    {
      route: 'GET /api/v1/kiosks/:id/history/circulation',
      as: 'operator',
      path: '/api/v1/kiosks/OA-01/history/circulation',
      status: 200,
    },
    { route: 'GET /api/v1/fleet', as: 'operator', path: '/api/v1/fleet', status: 200 },
    { route: 'GET /api/v1/events', as: 'operator', path: '/api/v1/events?kiosk=OA-01', status: 200 },
    { route: 'GET /api/v1/dead-letters', as: 'operator', path: '/api/v1/dead-letters', status: 200 },
    { route: 'GET /api/v1/uptime', as: 'operator', path: '/api/v1/uptime', status: 200 },
    { route: 'GET /api/v1/uptime/timeline', as: 'operator', path: '/api/v1/uptime/timeline?kiosk=OA-01', status: 200 },
    { route: 'GET /api/v1/fault-response', as: 'operator', path: '/api/v1/fault-response', status: 200 },
    { route: 'GET /api/v1/reliability', as: 'operator', path: '/api/v1/reliability', status: 200 },
    { route: 'GET /api/v1/notifications', as: 'operator', path: '/api/v1/notifications', status: 200 },
    { route: 'GET /api/v1/notifications/outbox', as: 'operator', path: '/api/v1/notifications/outbox', status: 200 },
    {
      route: 'POST /api/v1/notifications/channels/:name/test',
      as: 'operator',
      path: '/api/v1/notifications/channels/hook/test',
      status: 202,
      capture: (b, c) => (c.entryId = String((b as { entry: { id: number } }).entry.id)),
    },
    {
      route: 'POST /api/v1/notifications/outbox/:id/retry',
      as: 'operator',
      path: (c) => `/api/v1/notifications/outbox/${c.entryId}/retry`,
      status: 200,
      awaits: heldTestMessage,
    },
    {
      route: 'POST /api/v1/notifications/outbox/:id/give-up',
      as: 'operator',
      path: (c) => `/api/v1/notifications/outbox/${c.entryId}/give-up`,
      status: 200,
      awaits: heldTestMessage,
    },
    { route: 'POST /api/v1/kiosks/:id/token', as: 'admin', path: '/api/v1/kiosks/OA-02/token', status: 200 },
    { route: 'POST /api/v1/kiosks/:id/revoke', as: 'admin', path: '/api/v1/kiosks/OA-02/revoke', status: 200 },
    {
      route: 'POST /api/v1/kiosks/:id/commands',
      as: 'operator',
      path: '/api/v1/kiosks/OA-01/commands',
      body: { type: 'reboot', reason: 'OpenAPI test' },
      status: 202,
    },
    { route: 'GET /api/v1/kiosks/:id/commands', as: 'operator', path: '/api/v1/kiosks/OA-01/commands', status: 200 },
    {
      route: 'POST /api/v1/kiosks/:id/maintenance',
      as: 'operator',
      path: '/api/v1/kiosks/OA-01/maintenance',
      body: { from: iso(nowMs + dayMs), to: iso(nowMs + 2 * dayMs), reason: 'OpenAPI test' },
      status: 201,
    },
    { route: 'GET /api/v1/kiosks/:id/maintenance', as: 'operator', path: '/api/v1/kiosks/OA-01/maintenance', status: 200 },

    {
      route: 'GET /api/v1/alerts',
      as: 'operator',
      path: '/api/v1/alerts?kiosk=OA-01',
      status: 200,
      capture: (b, c) => (c.alertId = (b as { alerts: { id: string }[] }).alerts[0]!.id),
    },
    { route: 'GET /api/v1/alerts/:id', as: 'operator', path: (c) => `/api/v1/alerts/${c.alertId}`, status: 200 },
    {
      route: 'POST /api/v1/alerts/:id/ack',
      as: 'maintenance',
      path: (c) => `/api/v1/alerts/${c.alertId}/ack`,
      body: { note: 'on my way' },
      status: 200,
    },
    {
      route: 'POST /api/v1/alerts/:id/assign',
      as: 'maintenance',
      path: (c) => `/api/v1/alerts/${c.alertId}/assign`,
      body: { assignee: 'maintenance' },
      status: 200,
    },
    {
      route: 'POST /api/v1/alerts/:id/comment',
      as: 'maintenance',
      path: (c) => `/api/v1/alerts/${c.alertId}/comment`,
      body: { text: 'paper replaced' },
      status: 200,
    },
    {
      route: 'POST /api/v1/alerts/:id/resolve',
      as: 'maintenance',
      path: (c) => `/api/v1/alerts/${c.alertId}/resolve`,
      body: {},
      status: 200,
    },

    {
      route: 'POST /api/v1/inspections',
      as: 'maintenance',
      path: '/api/v1/inspections',
      body: { kioskId: 'OA-01', inspector: 'crew-1', result: 'pass' },
      status: 201,
    },
    { route: 'GET /api/v1/inspections', as: 'operator', path: '/api/v1/inspections', status: 200 },
    { route: 'GET /api/v1/inspections/compliance', as: 'operator', path: '/api/v1/inspections/compliance', status: 200 },
    { route: 'GET /api/v1/inspections/history', as: 'operator', path: '/api/v1/inspections/history', status: 200 },

    {
      route: 'POST /api/v1/reservations',
      as: 'lending',
      path: '/api/v1/reservations',
      body: { reservationId: 'R-OA-1', createdAt: iso(nowMs - 3_600_000), destination: { kind: 'kiosk', kioskId: 'OA-01' } },
      status: 201,
    },
    { route: 'GET /api/v1/reservations', as: 'operator', path: '/api/v1/reservations', status: 200 },
    { route: 'GET /api/v1/reservations/on-time', as: 'operator', path: '/api/v1/reservations/on-time', status: 200 },
    { route: 'GET /api/v1/reservations/:id', as: 'operator', path: '/api/v1/reservations/R-OA-1', status: 200 },
    {
      route: 'POST /api/v1/reservations/:id/delivered',
      as: 'courier',
      path: '/api/v1/reservations/R-OA-1/delivered',
      body: {},
      status: 200,
    },
    {
      route: 'POST /api/v1/reservations/:id/picked-up',
      as: 'lending',
      path: '/api/v1/reservations/R-OA-1/picked-up',
      body: {},
      status: 200,
    },
    {
      route: 'POST /api/v1/reservations/:id/cancel',
      as: 'lending',
      path: '/api/v1/reservations/R-OA-2/cancel',
      body: {},
      status: 200,
    },

    {
      route: 'GET /api/v1/reports/circulation',
      as: 'manager',
      path: `/api/v1/reports/circulation?from=${month(2)}&to=${month(1)}`,
      status: 200,
    },
    {
      route: 'GET /api/v1/reports/indicators',
      as: 'manager',
      path: `/api/v1/reports/indicators?year=${month(1).slice(0, 4)}`,
      status: 200,
    },
    { route: 'GET /api/v1/reports/targets', as: 'manager', path: '/api/v1/reports/targets', status: 200 },
    {
      route: 'PATCH /api/v1/reports/targets',
      as: 'manager',
      path: '/api/v1/reports/targets',
      body: { weeklyInspectionRatio: 0.95 },
      status: 200,
    },
    {
      route: 'GET /api/v1/reports/utilisation',
      as: 'manager',
      path: `/api/v1/reports/utilisation?from=${month(2)}&to=${month(1)}`,
      status: 200,
    },
    {
      route: 'POST /api/v1/emqx/authenticate',
      as: 'emqx',
      path: '/api/v1/emqx/authenticate',
      body: { clientid: 'OA-02', username: 'OA-02', password: 'not-its-token', peerhost: '127.0.0.2' },
      status: 200,
    },
    {
      route: 'POST /api/v1/emqx/authorize',
      as: 'emqx',
      path: '/api/v1/emqx/authorize',
      body: { clientid: 'OA-02', username: 'OA-02', topic: 'kiosks/OA-02/events', action: 'publish', qos: '1', retain: 'false' },
      status: 200,
    },
  ];
}
