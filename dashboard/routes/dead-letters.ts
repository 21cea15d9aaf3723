import { Router } from 'express';
import { z } from 'zod';
import { parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';

const query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

/** Messages the platform refused, newest first, with the reason and the start of the payload. */
export function deadLettersRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseOr400(query, req.query, 'query');
    const records = await ctx.store.readDeadLetters({ limit: q.limit, ...(q.before ? { beforeSeq: q.before } : {}) });
    res.json({
      deadLetters: records.map((r) => ({ ...r, receivedAt: new Date(r.receivedMs).toISOString() })),
      total: await ctx.store.countDeadLetters(),
      rejectedByReason: ctx.collector.ingest.stats().rejectedByReason,
      next: records.length === q.limit ? (records.at(-1)?.seq ?? null) : null,
    });
  });
  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const deadLettersRequests = { query };
