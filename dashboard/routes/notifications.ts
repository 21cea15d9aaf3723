import { Router } from 'express';
import type { DashboardContext } from '../context.js';

/** Each notification channel: delivering, retrying or failing, with counts and its last error. */
export function notificationsRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json({ isConfigured: ctx.notifications !== undefined, channels: ctx.notifications?.health() ?? [] });
  });
  return router;
}
