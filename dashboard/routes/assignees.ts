import { Router } from 'express';
import type { DashboardContext } from '../context.js';

/**
 * `/assignees`: who an alert can be assigned to, the enabled maintenance-crew accounts, by display
 * name. Only `/users` lists accounts, and only to admins; the crew needs no more than these names
 * to pick a colleague, so this answers with nothing else (no roles, dates or flags).
 */
export function assigneesRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const people = (await ctx.auth.users.list())
      .filter((u) => u.role === 'maintenance' && !u.disabled)
      .map((u) => ({ username: u.username, displayName: u.displayName }))
      .sort((a, b) => a.displayName.localeCompare(b.displayName));
    res.json({ people });
  });
  return router;
}
