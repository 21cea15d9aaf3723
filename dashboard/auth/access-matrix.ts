import { PERSON_ROLES, type Role } from './roles.js';

/**
 * Who may call what: THE one list. The guard middleware answers every request under `/api/v1` and
 * `/metrics` from it (a route missing here is refused to everyone), and the role-matrix test calls
 * every entry as every role and checks that every mounted route is listed.
 *
 * `audit` names the audit-log action a call records (every state-changing route has one);
 * `exportsOnly`: a GET recorded only when it downloads a file (`format=csv|xlsx`).
 */
export interface AccessRule {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  roles: readonly Role[] | 'public';
  audit?: string;
  exportsOnly?: boolean;
}

const EVERYONE = PERSON_ROLES;
const ADMIN = ['admin'] as const;

export const ACCESS_MATRIX: readonly AccessRule[] = [
  // Signing in, liveness for load balancers and the API's description: the only routes open without credentials.
  { method: 'POST', path: '/api/v1/auth/login', roles: 'public' },
  { method: 'GET', path: '/api/v1/health/live', roles: 'public' },
  // Readers' status page and its JSON: public names, addresses and "can I borrow there now"; nothing
  // internal. The page is outside /api (the guard never sees it) but listed, as every mounted route is.
  { method: 'GET', path: '/status', roles: 'public' },
  { method: 'GET', path: '/api/v1/public/status', roles: 'public' },
  // The API's own description (OpenAPI 3.1): what an integrator reads before holding a token.
  { method: 'GET', path: '/api/v1/openapi.json', roles: 'public' },
  // EMQX's HTTP authentication and authorization hooks: no person or token role, but the configured
  // bearer secret (EMQX_HOOK_SECRET), checked by the routes themselves (dashboard/routes/emqx-hooks.ts).
  { method: 'POST', path: '/api/v1/emqx/authenticate', roles: 'public' },
  { method: 'POST', path: '/api/v1/emqx/authorize', roles: 'public' },
  { method: 'GET', path: '/api/v1/auth/me', roles: EVERYONE },
  { method: 'POST', path: '/api/v1/auth/logout', roles: EVERYONE, audit: 'auth.logout' },
  { method: 'POST', path: '/api/v1/auth/password', roles: EVERYONE, audit: 'auth.password_change' },
  { method: 'GET', path: '/api/v1/auth/tokens', roles: ADMIN },
  { method: 'POST', path: '/api/v1/auth/tokens', roles: ADMIN, audit: 'token.issue' },
  { method: 'DELETE', path: '/api/v1/auth/tokens/:id', roles: ADMIN, audit: 'token.revoke' },
  { method: 'GET', path: '/api/v1/users', roles: ADMIN },
  { method: 'POST', path: '/api/v1/users', roles: ADMIN, audit: 'user.create' },
  { method: 'PATCH', path: '/api/v1/users/:username', roles: ADMIN, audit: 'user.update' },
  { method: 'GET', path: '/api/v1/audit', roles: ADMIN },

  { method: 'GET', path: '/api/v1/health', roles: [...EVERYONE, 'metrics'] },
  { method: 'GET', path: '/metrics', roles: ['admin', 'metrics'] },

  // Watching the fleet: every signed-in person.
  { method: 'GET', path: '/api/v1/kiosks', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/kiosks/:id', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/kiosks/:id/history/telemetry', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/kiosks/:id/history/circulation', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/kiosks/:id/activity', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/fleet', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/events', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/dead-letters', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/uptime', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/uptime/timeline', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/fault-response', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/reliability', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/notifications', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/notifications/outbox', roles: EVERYONE },
  {
    method: 'POST',
    path: '/api/v1/notifications/channels/:name/test',
    roles: ['operator', 'admin'],
    audit: 'notification.test',
  },
  {
    method: 'POST',
    path: '/api/v1/notifications/outbox/:id/give-up',
    roles: ['operator', 'admin'],
    audit: 'notification.give_up',
  },
  { method: 'POST', path: '/api/v1/notifications/outbox/:id/retry', roles: ['operator', 'admin'], audit: 'notification.retry' },

  // Machines: provisioning and credentials are the admin's; commands and maintenance windows the operator's.
  { method: 'POST', path: '/api/v1/kiosks', roles: ADMIN, audit: 'kiosk.provision' },
  { method: 'POST', path: '/api/v1/kiosks/:id/token', roles: ADMIN, audit: 'kiosk.token_rotate' },
  { method: 'POST', path: '/api/v1/kiosks/:id/revoke', roles: ADMIN, audit: 'kiosk.revoke' },
  { method: 'POST', path: '/api/v1/kiosks/:id/public-status', roles: ['operator', 'admin'], audit: 'kiosk.public_status' },
  { method: 'GET', path: '/api/v1/kiosks/:id/commands', roles: EVERYONE },
  { method: 'POST', path: '/api/v1/kiosks/:id/commands', roles: ['operator', 'admin'], audit: 'kiosk.command' },
  { method: 'GET', path: '/api/v1/kiosks/:id/maintenance', roles: EVERYONE },
  { method: 'POST', path: '/api/v1/kiosks/:id/maintenance', roles: ['operator', 'admin'], audit: 'kiosk.maintenance_window' },

  // Alerts and inspections: the maintenance crew's.
  { method: 'GET', path: '/api/v1/alerts', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/alerts/:id', roles: EVERYONE },
  { method: 'POST', path: '/api/v1/alerts/:id/ack', roles: ['maintenance', 'admin'], audit: 'alert.acknowledge' },
  { method: 'POST', path: '/api/v1/alerts/:id/assign', roles: ['maintenance', 'admin'], audit: 'alert.assign' },
  // Whom an alert can be assigned to: names of the crew only, for those who assign.
  { method: 'GET', path: '/api/v1/assignees', roles: ['maintenance', 'admin'] },
  { method: 'POST', path: '/api/v1/alerts/:id/comment', roles: ['maintenance', 'admin'], audit: 'alert.comment' },
  { method: 'POST', path: '/api/v1/alerts/:id/resolve', roles: ['maintenance', 'admin'], audit: 'alert.resolve' },
  { method: 'GET', path: '/api/v1/inspections', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/inspections/compliance', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/inspections/history', roles: EVERYONE },
  { method: 'POST', path: '/api/v1/inspections', roles: ['maintenance', 'admin'], audit: 'inspection.record' },

  // Reservations: created and closed by the online lending platform, delivered by couriers or the crew.
  { method: 'GET', path: '/api/v1/reservations', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/reservations/on-time', roles: EVERYONE },
  { method: 'GET', path: '/api/v1/reservations/:id', roles: EVERYONE },
  { method: 'POST', path: '/api/v1/reservations', roles: ['lending', 'admin'], audit: 'reservation.create' },
  {
    method: 'POST',
    path: '/api/v1/reservations/:id/delivered',
    roles: ['maintenance', 'courier', 'lending', 'admin'],
    audit: 'reservation.deliver',
  },
  {
    method: 'POST',
    path: '/api/v1/reservations/:id/picked-up',
    roles: ['maintenance', 'lending', 'admin'],
    audit: 'reservation.pick_up',
  },
  { method: 'POST', path: '/api/v1/reservations/:id/cancel', roles: ['lending', 'admin'], audit: 'reservation.cancel' },

  // The managers' reports; every CSV or XLSX download is audited.
  { method: 'GET', path: '/api/v1/reports/circulation', roles: ['manager', 'admin'], audit: 'report.export', exportsOnly: true },
  { method: 'GET', path: '/api/v1/reports/indicators', roles: ['manager', 'admin'], audit: 'report.export', exportsOnly: true },
  { method: 'GET', path: '/api/v1/reports/utilisation', roles: ['manager', 'admin'], audit: 'report.export', exportsOnly: true },
  // The library's own indicator targets: set by its managers (or the admin), every change audited.
  { method: 'GET', path: '/api/v1/reports/targets', roles: ['manager', 'admin'] },
  { method: 'PATCH', path: '/api/v1/reports/targets', roles: ['manager', 'admin'], audit: 'report.targets' },
];

/** socket.io: who may connect (and so receive the live pushes); client events, when added, are listed here too. */
export const SOCKET_MATRIX = { connect: EVERYONE } as const satisfies Record<string, readonly Role[]>;

const segmentsOf = (path: string) => path.split('/').filter((s) => s !== '');

/**
 * The rule for a request, or undefined. `:name` matches one path segment; of several matching
 * rules the one with more literal segments wins (`/reservations/on-time` over `/reservations/:id`).
 */
export function findRule(method: string, path: string, matrix: readonly AccessRule[] = ACCESS_MATRIX): AccessRule | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const segments = segmentsOf(path);
  let best: { rule: AccessRule; literals: number } | undefined;
  for (const rule of matrix) {
    if (rule.method !== wanted) continue;
    const pattern = segmentsOf(rule.path);
    if (pattern.length !== segments.length) continue;
    if (!pattern.every((p, i) => p.startsWith(':') || p === segments[i])) continue;
    const literals = pattern.filter((p) => !p.startsWith(':')).length;
    if (!best || literals > best.literals) best = { rule, literals };
  }
  return best?.rule;
}

/** The path parameters of a request under its rule: the audit log's target. */
export function paramsOf(rule: AccessRule, path: string): string[] {
  const segments = segmentsOf(path);
  return segmentsOf(rule.path).flatMap((p, i) => (p.startsWith(':') ? [decoded(segments[i]!)] : []));
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
