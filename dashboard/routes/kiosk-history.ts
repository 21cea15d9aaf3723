import { Router } from 'express';
import { z } from 'zod';
import { createCalendar, nextDay } from '../../time/calendar.js';
import { CIRCULATION_TYPES } from '../../collector/domain/circulation.js';
import { parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { readCirculationTable } from '../reports/circulation-report.js';
import { kioskIdOf } from './commands.js';

const HOUR_MS = 3_600_000;
/** A week of readings at one a minute is 10,080 points (the store's read limit): charts get at most this many. */
const MAX_POINTS = 1_500;

const telemetryQuery = z.strictObject({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 7)
    .default(24),
});
const circulationQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) });

/** Counted per day and month beside the circulation table, never inside it. */
const APART_TYPES = ['renewal', 'transaction_refused'] as const;
/** Refusals read per window for the reason breakdown: a busy machine refuses far fewer in 366 days. */
const MAX_REFUSALS_READ = 50_000;

const refusalSchema = z.object({ operation: z.string(), reason: z.string() });

/** Refused transactions since `fromMs`, per operation and reason, most frequent first. */
async function refusalsSince(ctx: DashboardContext, kioskId: string, fromMs: number) {
  const records = await ctx.store.readEvents({
    kioskId,
    types: ['transaction_refused'],
    fromMs,
    toMs: ctx.now() + 1,
    limit: MAX_REFUSALS_READ,
  });
  const counts = new Map<string, { operation: string; reason: string; count: number }>();
  for (const record of records) {
    const parsed = refusalSchema.safeParse(record.data);
    if (!parsed.success) continue;
    const key = `${parsed.data.operation}/${parsed.data.reason}`;
    const slot = counts.get(key) ?? { ...parsed.data, count: 0 };
    slot.count += 1;
    counts.set(key, slot);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

const daysBefore = (day: string, count: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - count * 86_400_000).toISOString().slice(0, 10);

/** Keeps every n-th reading (always the newest) so a long window stays a light chart. */
function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(items.length - 1 - (max - 1 - i) * step)]!);
}

/**
 * `/kiosks/:id/history`: one machine's health readings over the last hours, and its loans and
 * returns per day and per month of this year (fleet time zone), for the machine detail page. Every
 * signed-in person may read it, unlike the managers' reports.
 */
export function kioskHistoryRouter(ctx: DashboardContext): Router {
  const router = Router({ mergeParams: true });
  const calendar = createCalendar(ctx.store.timeZone);

  router.get('/telemetry', async (req, res) => {
    const id = kioskIdOf(ctx, (req.params as { id?: string }).id);
    const q = parseOr400(telemetryQuery, req.query, 'query');
    const nowMs = ctx.now();
    const records = await ctx.store.readTelemetry({
      kioskId: id,
      fromMs: nowMs - q.hours * HOUR_MS,
      toMs: nowMs + 1,
      limit: 10_080,
    });
    const ordered = [...records].sort((a, b) => a.tsMs - b.tsMs);
    res.json({
      kioskId: id,
      hours: q.hours,
      readings: thin(ordered, MAX_POINTS).map((r) => ({ ts: new Date(r.tsMs).toISOString(), ...r.readings })),
    });
  });

  router.get('/circulation', async (req, res) => {
    const id = kioskIdOf(ctx, (req.params as { id?: string }).id);
    const q = parseOr400(circulationQuery, req.query, 'query');
    const today = calendar.dayOf(ctx.now());
    const toDay = nextDay(today);
    // Local days are calendar dates: stepping back on the date string is free of DST offsets.
    const days: string[] = [];
    for (let day = daysBefore(today, q.days - 1); day < toDay; day = nextDay(day)) days.push(day);
    const counts = await ctx.store.countByPeriod({
      granularity: 'day',
      fromDay: days[0]!,
      toDay,
      kioskIds: [id],
      types: [...CIRCULATION_TYPES, ...APART_TYPES],
    });
    const countOf = (day: string, type: string) => counts.find((c) => c.period === day && c.type === type)?.count ?? 0;
    const month = calendar.monthOf(ctx.now());
    const months = await readCirculationTable(
      ctx.store,
      calendar,
      { kind: 'kiosk', kioskId: id },
      `${month.slice(0, 4)}-01`,
      month,
      ctx.now(),
    );
    const year = `${month.slice(0, 4)}-01`;
    const apartByMonth = await ctx.store.countByPeriod({
      granularity: 'month',
      fromDay: `${year}-01`,
      toDay: nextDay(today),
      kioskIds: [id],
      types: APART_TYPES,
    });
    const monthCountOf = (m: string, type: string) =>
      apartByMonth.find((c) => c.period.slice(0, 7) === m && c.type === type)?.count ?? 0;
    const refusals = await refusalsSince(ctx, id, calendar.startOfDay(days[0]!));
    res.json({
      kioskId: id,
      timeZone: ctx.store.timeZone,
      days: days.map((day) => {
        const loans = countOf(day, 'loan');
        const returns = countOf(day, 'return');
        // Renewals and refusals are counted apart: never part of loans or of loans + returns.
        return {
          day,
          loans,
          returns,
          total: loans + returns,
          renewals: countOf(day, 'renewal'),
          refused: countOf(day, 'transaction_refused'),
        };
      }),
      months: months.rows.map((row) => ({
        ...row,
        renewals: monthCountOf(row.month, 'renewal'),
        refused: monthCountOf(row.month, 'transaction_refused'),
      })),
      refusals,
    });
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const kioskHistoryRequests = { telemetryQuery, circulationQuery };
