import { Router } from 'express';
import { z } from 'zod';
import { kioskIdSchema } from '../../protocol/index.js';
import type { EventCursor, EventRecord } from '../../collector/store/event-store.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { commaList } from './comma-list.js';

const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const eventsQuery = z.strictObject({
  kiosk: kioskIdSchema.optional(),
  type: z
    .string()
    .regex(/^[a-z_]+(,[a-z_]+)*$/, 'must be one event type or a comma-separated list, e.g. loan,return')
    .pipe(commaList(z.string()))
    .optional(),
  /** Inclusive. */
  from: instant.optional(),
  /** Exclusive: `[from, to)`, so consecutive ranges neither overlap nor leave a gap. */
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().max(300).optional(),
});

function encodeCursor(record: EventRecord): string {
  return Buffer.from(JSON.stringify({ tsMs: record.tsMs, id: record.id })).toString('base64url');
}

function decodeCursor(cursor: string): EventCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as EventCursor;
    if (typeof value.tsMs === 'number' && typeof value.id === 'string') return value;
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, 'INVALID_REQUEST', 'invalid query: after: not a cursor returned by this API');
}

/** The event history: newest first by default, keyset-paginated with `next`. */
export function eventsRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseOr400(eventsQuery, req.query, 'query');
    const records = await ctx.store.readEvents({
      ...(q.kiosk ? { kioskId: q.kiosk } : {}),
      ...(q.type ? { types: q.type } : {}),
      ...(q.from !== undefined ? { fromMs: q.from } : {}),
      ...(q.to !== undefined ? { toMs: q.to } : {}),
      ...(q.after ? { after: decodeCursor(q.after) } : {}),
      limit: q.limit,
      order: q.order,
    });
    const last = records.at(-1);
    res.json({
      events: records.map((r) => ({ kioskId: r.kioskId, receivedAt: new Date(r.receivedMs).toISOString(), ...r.data })),
      next: records.length === q.limit && last ? encodeCursor(last) : null,
    });
  });
  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const eventsRequests = { eventsQuery };
