import { z } from 'zod';
import { reservationIdSchema } from '../../collector/domain/reservations.js';
import { kioskIdSchema } from '../../protocol/topics.js';
import { kioskRecordSchema } from '../../registry/kiosk.js';
import { alertsRequests } from '../routes/alerts.js';
import { auditRequests } from '../routes/audit.js';
import { authRequests } from '../routes/auth.js';
import { commandsRequests } from '../routes/commands.js';
import { deadLettersRequests } from '../routes/dead-letters.js';
import { emqxHookRequests } from '../routes/emqx-hooks.js';
import { eventsRequests } from '../routes/events.js';
import { faultResponseRequests } from '../routes/fault-response.js';
import { inspectionsRequests } from '../routes/inspections.js';
import { kioskHistoryRequests } from '../routes/kiosk-history.js';
import { kiosksRequests } from '../routes/kiosks.js';
import { maintenanceRequests } from '../routes/maintenance.js';
import { notificationsRequests } from '../routes/notifications.js';
import { reliabilityRequests } from '../routes/reliability.js';
import { reportsRequests } from '../routes/reports.js';
import { reservationsRequests } from '../routes/reservations.js';
import { uptimeRequests } from '../routes/uptime.js';
import { usersRequests } from '../routes/users.js';

/** How a route is described beyond the access matrix: the same zod schemas the route validates with. */
export interface RouteDoc {
  summary: string;
  tag: string;
  /** The status of a success, and the media types it may answer in (JSON unless said). */
  ok: number;
  media?: readonly string[];
  query?: z.ZodType;
  body?: z.ZodType;
  /** Path parameters the route checks (a malformed one answers 400). */
  params?: Record<string, z.ZodType>;
  /** The route looks up what its path names and answers 404 when it is not there. */
  isLookup?: boolean;
  /** Open in the access matrix, but the route checks a configured bearer secret itself (EMQX's hooks): 401 without it. */
  hasOwnSecret?: boolean;
  /** When the route answers 503 for a part that is down (the code and when): documented as its 503. */
  unavailableWhen?: string;
}

const kioskParam = { id: kioskIdSchema };
const reservationParam = { id: reservationIdSchema };
const csvXlsx = ['application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'] as const;

/** Every route of the access matrix, by `METHOD /path`. */
export const API_ROUTES: Record<string, RouteDoc> = {
  'POST /api/v1/auth/login': { summary: 'Sign in; sets the session cookie', tag: 'auth', ok: 200, body: authRequests.loginBody },
  'GET /api/v1/health/live': { summary: 'Liveness, for load balancers', tag: 'health', ok: 200 },
  'GET /api/v1/openapi.json': { summary: 'This document', tag: 'meta', ok: 200 },
  'POST /api/v1/emqx/authenticate': {
    summary: "EMQX's HTTP authentication of a machine (bearer EMQX_HOOK_SECRET)",
    tag: 'cluster',
    ok: 200,
    body: emqxHookRequests.authenticateBody,
    hasOwnSecret: true,
  },
  'POST /api/v1/emqx/authorize': {
    summary:
      "EMQX's HTTP authorization of a machine's publish or subscribe, by the embedded broker's ACL (bearer EMQX_HOOK_SECRET)",
    tag: 'cluster',
    ok: 200,
    body: emqxHookRequests.authorizeBody,
    hasOwnSecret: true,
  },
  'GET /status': { summary: "The readers' status page (HTML, zh/en)", tag: 'public', ok: 200, media: ['text/html'] },
  'GET /api/v1/public/status': {
    summary: 'Which machines readers can borrow from now: public names, addresses and states only',
    tag: 'public',
    ok: 200,
  },
  'GET /api/v1/auth/me': { summary: 'Who is signed in, and the session CSRF token', tag: 'auth', ok: 200 },
  'POST /api/v1/auth/logout': { summary: 'Sign out', tag: 'auth', ok: 204 },
  'POST /api/v1/auth/password': { summary: 'Change my password', tag: 'auth', ok: 204, body: authRequests.passwordBody },
  'GET /api/v1/auth/tokens': { summary: 'Integration tokens', tag: 'auth', ok: 200 },
  'POST /api/v1/auth/tokens': { summary: 'Issue an integration token', tag: 'auth', ok: 201, body: authRequests.tokenBody },
  'DELETE /api/v1/auth/tokens/:id': { summary: 'Revoke an integration token', tag: 'auth', ok: 204, isLookup: true },
  'GET /api/v1/assignees': { summary: 'Whom an alert can be assigned to: the maintenance crew', tag: 'alerts', ok: 200 },
  'GET /api/v1/users': { summary: 'Accounts of people', tag: 'users', ok: 200 },
  'POST /api/v1/users': { summary: 'Create an account', tag: 'users', ok: 201, body: usersRequests.createBody },
  'PATCH /api/v1/users/:username': {
    summary: 'Change an account (role, name, disabled, password)',
    tag: 'users',
    ok: 200,
    params: { username: usersRequests.username },
    body: usersRequests.patchBody,
    isLookup: true,
  },
  'GET /api/v1/audit': { summary: 'The audit log', tag: 'users', ok: 200, query: auditRequests.query },
  'GET /api/v1/health': { summary: 'Health of the platform and its parts', tag: 'health', ok: 200 },
  'GET /metrics': { summary: 'Prometheus metrics', tag: 'health', ok: 200, media: ['text/plain'] },
  'GET /api/v1/kiosks': { summary: 'The machines and their live state', tag: 'kiosks', ok: 200, query: kiosksRequests.listQuery },
  'GET /api/v1/kiosks/:id': { summary: 'One machine', tag: 'kiosks', ok: 200, params: kioskParam, isLookup: true },
  'GET /api/v1/kiosks/:id/activity': {
    summary: "A machine's usual loans and returns for this hour, what it saw, and whether it is not lending",
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    isLookup: true,
  },
  'POST /api/v1/kiosks/:id/public-status': {
    summary: 'Show a machine on the public status page, or hide it',
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    body: kiosksRequests.publicStatusBody,
    isLookup: true,
  },
  'GET /api/v1/kiosks/:id/history/telemetry': {
    summary: "A machine's telemetry",
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    query: kioskHistoryRequests.telemetryQuery,
    isLookup: true,
  },
  'GET /api/v1/kiosks/:id/history/circulation': {
    summary: "A machine's loans and returns by day and month",
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    query: kioskHistoryRequests.circulationQuery,
    isLookup: true,
  },
  'GET /api/v1/fleet': { summary: "The fleet's figures today and this month", tag: 'kiosks', ok: 200 },
  'GET /api/v1/events': {
    summary: 'The event history, newest first, by pages',
    tag: 'events',
    ok: 200,
    query: eventsRequests.eventsQuery,
  },
  'GET /api/v1/dead-letters': { summary: 'Refused messages', tag: 'events', ok: 200, query: deadLettersRequests.query },
  'GET /api/v1/uptime': {
    summary: 'Uptime of the fleet and each machine',
    tag: 'fleet health',
    ok: 200,
    query: uptimeRequests.uptimeQuery,
  },
  'GET /api/v1/uptime/timeline': {
    summary: "A machine's service states over a window",
    tag: 'fleet health',
    ok: 200,
    query: uptimeRequests.timelineQuery,
  },
  'GET /api/v1/fault-response': {
    summary: 'The fault-response promise, month by month',
    tag: 'fleet health',
    ok: 200,
    query: faultResponseRequests.query,
  },
  'GET /api/v1/reliability': { summary: 'MTBF and MTTR', tag: 'fleet health', ok: 200, query: reliabilityRequests.query },
  'GET /api/v1/notifications': { summary: 'Notification channels and their delivery', tag: 'notifications', ok: 200 },
  'GET /api/v1/notifications/outbox': {
    summary: 'Messages in the notification outbox (404 NOTIFICATIONS_OFF without NOTIFY_CONFIG)',
    tag: 'notifications',
    ok: 200,
    query: notificationsRequests.listQuery,
  },
  'POST /api/v1/notifications/channels/:name/test': {
    summary: 'Send a channel a test message',
    tag: 'notifications',
    ok: 202,
    params: { name: notificationsRequests.channelName },
    isLookup: true,
  },
  'POST /api/v1/notifications/outbox/:id/give-up': {
    summary: 'Give up a waiting or held message (409 in another state)',
    tag: 'notifications',
    ok: 200,
    params: { id: notificationsRequests.entryId },
    isLookup: true,
  },
  'POST /api/v1/notifications/outbox/:id/retry': {
    summary: 'Send a held message again (409 unless held)',
    tag: 'notifications',
    ok: 200,
    params: { id: notificationsRequests.entryId },
    isLookup: true,
  },
  'POST /api/v1/kiosks': {
    summary: 'Register a machine; its MQTT token is answered once',
    tag: 'kiosks',
    ok: 201,
    body: kioskRecordSchema,
  },
  'POST /api/v1/kiosks/:id/token': {
    summary: "Rotate a machine's MQTT token",
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    isLookup: true,
  },
  'POST /api/v1/kiosks/:id/revoke': {
    summary: "Revoke a machine's MQTT token",
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    isLookup: true,
  },
  'GET /api/v1/kiosks/:id/commands': {
    summary: 'Commands sent to a machine',
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    isLookup: true,
  },
  'POST /api/v1/kiosks/:id/commands': {
    summary: 'Send a machine a command (pause, resume, withdraw, reboot)',
    tag: 'kiosks',
    ok: 202,
    params: kioskParam,
    body: commandsRequests.commandBody,
    isLookup: true,
    unavailableWhen:
      'CLUSTER_MESSAGING_DOWN: one node of several, its link to the other nodes (Redis) down, and the machine not connected to this node; nothing was sent or recorded',
  },
  'GET /api/v1/kiosks/:id/maintenance': {
    summary: 'Planned maintenance windows',
    tag: 'kiosks',
    ok: 200,
    params: kioskParam,
    isLookup: true,
  },
  'POST /api/v1/kiosks/:id/maintenance': {
    summary: 'Plan a maintenance window',
    tag: 'kiosks',
    ok: 201,
    params: kioskParam,
    body: maintenanceRequests.windowBody,
    isLookup: true,
  },
  'GET /api/v1/alerts': { summary: 'Alerts', tag: 'alerts', ok: 200, query: alertsRequests.listQuery },
  'GET /api/v1/alerts/:id': { summary: 'One alert', tag: 'alerts', ok: 200, isLookup: true },
  'POST /api/v1/alerts/:id/ack': {
    summary: 'Acknowledge an alert',
    tag: 'alerts',
    ok: 200,
    body: alertsRequests.ackBody,
    isLookup: true,
  },
  'POST /api/v1/alerts/:id/assign': {
    summary: 'Assign an alert',
    tag: 'alerts',
    ok: 200,
    body: alertsRequests.assignBody,
    isLookup: true,
  },
  'POST /api/v1/alerts/:id/comment': {
    summary: 'Comment on an alert',
    tag: 'alerts',
    ok: 200,
    body: alertsRequests.commentBody,
    isLookup: true,
  },
  'POST /api/v1/alerts/:id/resolve': {
    summary: 'Resolve an alert',
    tag: 'alerts',
    ok: 200,
    body: alertsRequests.resolveBody,
    isLookup: true,
  },
  'GET /api/v1/inspections': {
    summary: "A week's inspections: done, due, overdue",
    tag: 'inspections',
    ok: 200,
    query: inspectionsRequests.weekQuery,
  },
  'GET /api/v1/inspections/compliance': {
    summary: 'Inspection compliance by week and month',
    tag: 'inspections',
    ok: 200,
    query: inspectionsRequests.rangeQuery.omit({ kiosk: true }),
  },
  'GET /api/v1/inspections/history': {
    summary: 'Inspections over weeks',
    tag: 'inspections',
    ok: 200,
    query: inspectionsRequests.rangeQuery,
  },
  'POST /api/v1/inspections': {
    summary: 'Record an inspection',
    tag: 'inspections',
    ok: 201,
    body: inspectionsRequests.inspectionBody,
  },
  'GET /api/v1/reservations': { summary: 'Reservations', tag: 'reservations', ok: 200, query: reservationsRequests.listQuery },
  'GET /api/v1/reservations/on-time': {
    summary: 'Reservations delivered on time, by month',
    tag: 'reservations',
    ok: 200,
    query: reservationsRequests.onTimeQuery,
  },
  'GET /api/v1/reservations/:id': {
    summary: 'One reservation',
    tag: 'reservations',
    ok: 200,
    params: reservationParam,
    isLookup: true,
  },
  'POST /api/v1/reservations': {
    summary: 'Create a reservation',
    tag: 'reservations',
    ok: 201,
    body: reservationsRequests.createBody,
  },
  'POST /api/v1/reservations/:id/delivered': {
    summary: 'A reservation delivered to its machine',
    tag: 'reservations',
    ok: 200,
    params: reservationParam,
    body: reservationsRequests.deliveredBody,
    isLookup: true,
  },
  'POST /api/v1/reservations/:id/picked-up': {
    summary: 'A reservation picked up by its reader',
    tag: 'reservations',
    ok: 200,
    params: reservationParam,
    body: reservationsRequests.pickedUpBody,
    isLookup: true,
  },
  'POST /api/v1/reservations/:id/cancel': {
    summary: 'Cancel a reservation',
    tag: 'reservations',
    ok: 200,
    params: reservationParam,
    body: reservationsRequests.cancelBody,
    isLookup: true,
  },
  'GET /api/v1/reports/circulation': {
    summary: 'Monthly loans and returns (JSON, CSV or XLSX)',
    tag: 'reports',
    ok: 200,
    media: csvXlsx,
    query: reportsRequests.circulationQuery,
  },
  'GET /api/v1/reports/indicators': {
    summary: 'Yearly indicators against targets (JSON, CSV or XLSX)',
    tag: 'reports',
    ok: 200,
    media: csvXlsx,
    query: reportsRequests.indicatorsQuery,
  },
  'GET /api/v1/reports/targets': {
    summary: "The library's indicator targets in force, beside the reference network's",
    tag: 'reports',
    ok: 200,
  },
  'PATCH /api/v1/reports/targets': {
    summary: "Change the library's indicator targets (shares 0–1); the others are kept",
    tag: 'reports',
    ok: 200,
    body: reportsRequests.targetsPatch,
  },
  'GET /api/v1/reports/utilisation': {
    summary: 'Use of each machine against the median (JSON, CSV or XLSX)',
    tag: 'reports',
    ok: 200,
    media: csvXlsx,
    query: reportsRequests.utilisationQuery,
  },
};
