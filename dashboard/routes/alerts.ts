import { Router } from 'express';
import { z } from 'zod';
import type { AlertState } from '../../collector/domain/alerts.js';
import { personSchema } from '../../collector/domain/platform-events.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { ApiError, parseOr400 } from '../api-error.js';
import { toAlertView } from '../alert-view.js';
import type { DashboardContext } from '../context.js';
import { toApiError } from '../refusal-status.js';
import { principalOf } from '../auth/guard.js';
import { commaList } from './comma-list.js';

const STATES = ['open', 'acknowledged', 'resolved'] as const;

const listQuery = z.strictObject({
  state: commaList(z.enum(STATES)).optional(),
  kiosk: kioskIdSchema.optional(),
  district: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(5_000).default(200),
});

const note = z.string().trim().max(1000).optional();
const ackBody = z.strictObject({ note });
const assignBody = z.strictObject({ assignee: personSchema, note });
const commentBody = z.strictObject({ text: z.string().trim().min(1).max(2000) });
const resolveBody = z.strictObject({ note });

/**
 * Fault and offline alerts: list, read, and act on them. Every action is recorded with who (`by`:
 * the signed-in person or the token's name, never taken from the body) and when.
 */
export function alertsRouter(ctx: DashboardContext): Router {
  const router = Router();
  const view = (alert: Parameters<typeof toAlertView>[0]) => {
    const health = ctx.fleetHealth.health;
    const kiosk = ctx.registry.get(alert.kioskId);
    return { ...toAlertView(alert, health.policy, ctx.now()), kioskName: kiosk?.name ?? null, district: kiosk?.district ?? null };
  };

  router.get('/', (req, res) => {
    const q = parseOr400(listQuery, req.query, 'query');
    const { health } = ctx.fleetHealth;
    const states: AlertState[] | undefined = q.state;
    let alerts = health.alerts({ ...(states ? { states } : {}), ...(q.kiosk ? { kioskId: q.kiosk } : {}) });
    if (q.district !== undefined) {
      const inDistrict = (id: string) => [ctx.registry.get(id)?.district, ctx.registry.get(id)?.districtEn].includes(q.district);
      alerts = alerts.filter((a) => inDistrict(a.kioskId));
    }
    res.json({ alerts: alerts.slice(0, q.limit).map(view), count: alerts.length });
  });

  router.get('/:id', async (req, res) => {
    const alert = ctx.fleetHealth.health.alert(req.params.id);
    if (!alert) throw new ApiError(404, 'ALERT_NOT_FOUND', `no alert with id ${req.params.id}`);
    // Which channels it reached, and when (or what is still trying): the outbox's deliveries.
    const notifications = (await ctx.notifications.deliveriesOf(alert.id)).map((d) => ({
      channel: d.channel,
      kind: d.kind,
      step: d.step,
      state: d.state,
      queuedAt: new Date(d.createdMs).toISOString(),
      deliveredAt: d.state === 'sent' && d.doneMs !== null ? new Date(d.doneMs).toISOString() : null,
      attempts: d.attempts,
      lastError: d.lastError,
    }));
    res.json({ alert: view(alert), notifications });
  });

  const act = (path: string, run: (id: string, body: unknown, by: string) => Promise<Parameters<typeof view>[0]>) =>
    router.post(path, async (req, res) => {
      const id = String(req.params.id);
      try {
        res.json({ alert: view(await run(id, req.body, principalOf(res).name)) });
      } catch (error) {
        throw toApiError(error);
      }
    });
  act('/:id/ack', (id, body, by) => ctx.fleetHealth.alertDesk.acknowledge(id, { ...parseOr400(ackBody, body, 'body'), by }));
  act('/:id/assign', (id, body, by) => ctx.fleetHealth.alertDesk.assign(id, { ...parseOr400(assignBody, body, 'body'), by }));
  act('/:id/comment', (id, body, by) => ctx.fleetHealth.alertDesk.comment(id, { ...parseOr400(commentBody, body, 'body'), by }));
  act('/:id/resolve', (id, body, by) => ctx.fleetHealth.alertDesk.resolve(id, { ...parseOr400(resolveBody, body, 'body'), by }));

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const alertsRequests = { listQuery, ackBody, assignBody, commentBody, resolveBody };
