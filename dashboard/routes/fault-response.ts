import { Router } from 'express';
import { z } from 'zod';
import { createCalendar } from '../../time/calendar.js';
import type { MonthlyFaultResponse } from '../../collector/domain/fault-response.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';

const HOUR_MS = 3_600_000;
const hoursOf = (ms: number | null) => (ms === null ? null : Math.round((ms / HOUR_MS) * 100) / 100);

const query = z.strictObject({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month is YYYY-MM')
    .optional(),
  year: z
    .string()
    .regex(/^\d{4}$/, 'year is YYYY')
    .optional(),
  kiosk: kioskIdSchema.optional(),
});

const monthView = (m: MonthlyFaultResponse) => ({
  month: m.month,
  alertsOpened: m.alertsOpened,
  restored: m.restored,
  restoredWithinPromise: m.restoredWithinPromise,
  pending: m.pending,
  shareRestoredWithinPromise: m.shareRestoredWithinPromise,
  medianTimeToRestoreHours: hoursOf(m.medianTimeToRestoreMs),
  p90TimeToRestoreHours: hoursOf(m.p90TimeToRestoreMs),
  medianTimeToAcknowledgeHours: hoursOf(m.medianTimeToAcknowledgeMs),
  p90TimeToAcknowledgeHours: hoursOf(m.p90TimeToAcknowledgeMs),
});

/** Monthly fault-response figures against the promise: a month, every month of a year, or this month. */
export function faultResponseRouter(ctx: DashboardContext): Router {
  const router = Router();
  const calendar = createCalendar(ctx.store.timeZone);
  router.get('/', async (req, res) => {
    const q = parseOr400(query, req.query, 'query');
    if (q.month && q.year) throw new ApiError(400, 'INVALID_REQUEST', 'invalid query: give month or year, not both');
    const months = q.year
      ? Array.from({ length: 12 }, (_, i) => `${q.year}-${String(i + 1).padStart(2, '0')}`)
      : [q.month ?? calendar.monthOf(ctx.now())];
    const { health } = ctx.fleetHealth;
    // Months older than the history fleet health keeps in memory are folded from the store.
    const figures = await health.figuresFrom(calendar.startOfDay(`${months[0]!}-01`));
    res.json({
      promiseHours: health.policy.promiseMs / HOUR_MS,
      rules: [
        'Alerts count in the month they opened (fleet time zone).',
        'Share restored within the promise = restored within it ÷ alerts decided (restored, or open past the deadline); alerts still open inside the promise are pending and left out.',
        'Time to restore: from the alert opening to its resolution (the machine reporting the fault cleared or being back online, or a crew member resolving it).',
        'Median and p90 interpolate between closest ranks (PERCENTILE.INC).',
      ],
      months: months.map((m) => monthView(figures.faultResponse(m, q.kiosk))),
    });
  });
  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const faultResponseRequests = { query };
