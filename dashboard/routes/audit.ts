import { Router } from 'express';
import { z } from 'zod';
import { parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';

const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const query = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(5_000).default(200),
});

/** `/audit` (admin): who did what, newest first; `to` is exclusive. */
export function auditRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseOr400(query, req.query, 'query');
    res.json({
      entries: await ctx.auth.audit.query({ fromMs: q.from, toMs: q.to, actor: q.actor, action: q.action, limit: q.limit }),
    });
  });
  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const auditRequests = { query };
