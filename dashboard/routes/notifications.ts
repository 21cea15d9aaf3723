import { Router } from 'express';
import { z } from 'zod';
import type { DashboardNotifications } from '../notifications-port.js';
import { OUTBOX_STATES, type OutboxEntry } from '../../collector/notify/notification-outbox.js';
import { ApiError, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth/guard.js';
import type { DashboardContext } from '../context.js';
import { commaList } from './comma-list.js';

const listQuery = z.strictObject({
  channel: z.string().min(1).max(64).optional(),
  state: commaList(z.enum(OUTBOX_STATES)).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
const entryId = z.coerce.number().int().min(1);
const channelName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An outbox entry as the API shows it: what it is about, not its whole message. */
function toEntryView(entry: OutboxEntry) {
  const m = entry.message;
  const about =
    m.source === 'alerts'
      ? { source: m.source, kind: m.kind, step: m.step, district: m.district, alertIds: m.notices.map((n) => n.alertId) }
      : { source: m.source };
  return {
    id: entry.id,
    channel: entry.channel,
    state: entry.state,
    ...about,
    createdAt: iso(entry.createdMs),
    dueAt: iso(entry.dueMs),
    expiresAt: iso(entry.expiresMs),
    attempts: entry.attempts,
    lastError: entry.lastError,
    doneAt: iso(entry.doneMs),
    doneBy: entry.doneBy,
    mergedInto: entry.mergedInto,
  };
}

/** The channels, or a 404 when none are configured: a setting, not a fault. */
function notificationsOf(ctx: DashboardContext): DashboardNotifications {
  if (!ctx.notifications.isConfigured)
    throw new ApiError(404, 'NOTIFICATIONS_OFF', 'no notification channels are configured (NOTIFY_CONFIG)');
  return ctx.notifications;
}

/**
 * Each notification channel (delivering, retrying or failing; its outbox depth and oldest
 * message), the outbox's entries, and what people do with them: send a test, give a message up,
 * send a held one again.
 */
export function notificationsRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json({
      isConfigured: ctx.notifications.isConfigured,
      isSender: ctx.notifications.isSender(),
      channels: ctx.notifications.health(),
    });
  });

  router.get('/outbox', async (req, res) => {
    const q = parseOr400(listQuery, req.query, 'query');
    const entries = await notificationsOf(ctx).list({
      limit: q.limit,
      ...(q.channel ? { channel: q.channel } : {}),
      ...(q.state ? { states: q.state } : {}),
    });
    res.json({ entries: entries.map(toEntryView) });
  });

  router.post('/channels/:name/test', async (req, res) => {
    const name = parseOr400(channelName, req.params.name, 'path');
    const entry = await notificationsOf(ctx).sendTest(name, principalOf(res).name);
    if (!entry) throw new ApiError(404, 'CHANNEL_NOT_FOUND', `no notification channel named ${name}`);
    res.status(202).json({ entry: toEntryView(entry) });
  });

  const act = (path: string, run: (n: DashboardNotifications, id: number, by: string) => Promise<boolean>, refusal: string) =>
    router.post(path, async (req, res) => {
      const id = parseOr400(entryId, req.params.id, 'path');
      const notifications = notificationsOf(ctx);
      const entry = await notifications.entry(id);
      if (!entry) throw new ApiError(404, 'OUTBOX_ENTRY_NOT_FOUND', `no outbox entry ${id}`);
      if (!(await run(notifications, id, principalOf(res).name))) {
        throw new ApiError(409, 'OUTBOX_ENTRY_STATE', `outbox entry ${id} is ${entry.state}: ${refusal}`);
      }
      res.json({ entry: toEntryView((await notifications.entry(id))!) });
    });
  act('/outbox/:id/give-up', (n, id, by) => n.giveUp(id, by), 'only a waiting or held message can be given up');
  act('/outbox/:id/retry', (n, id, by) => n.retry(id, by), 'only a held message can be sent again');
  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const notificationsRequests = { listQuery, entryId, channelName };
