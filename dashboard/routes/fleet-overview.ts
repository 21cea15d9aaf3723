import { Router } from 'express';
import { createCalendar } from '../../time/calendar.js';
import type { TimeWindow } from '../../collector/domain/uptime.js';
import type { DashboardContext } from '../context.js';
import { readCirculationTable } from '../reports/circulation-report.js';
import { readerStatusOf } from '../reader-status.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * What the fleet overview's KPI tiles show beside the live push: the fleet's time zone and
 * calendar position, availability today and this month, and loans + returns against the pace of
 * the yearly target (the library's own, or 150,000 a year as in the reference network). Beside the technical
 * availability, the reader-side one (share of the expected time lending) and how many machines
 * lend now, take returns only or are closed (reserve and withdrawn machines are not counted).
 */
export function fleetOverviewRouter(ctx: DashboardContext): Router {
  const router = Router();
  const calendar = createCalendar(ctx.store.timeZone);

  router.get('/', async (_req, res) => {
    const nowMs = ctx.now();
    const today = calendar.dayOf(nowMs);
    const month = calendar.monthOf(nowMs);
    const year = month.slice(0, 4);
    const yearStartMs = calendar.startOfDay(`${year}-01-01`);
    const yearEndMs = calendar.startOfDay(`${Number(year) + 1}-01-01`);
    const monthStartMs = calendar.startOfDay(`${month}-01`);
    const table = await readCirculationTable(ctx.store, calendar, { kind: 'fleet' }, `${year}-01`, month, nowMs);
    // The library's own yearly target when its managers set one (reports page), else the reference's.
    const target = (await ctx.indicatorTargets.read()).targets.circulationPerYear;
    // The pace is the target spread evenly over the year's time: what should be done by now.
    const paceOf = (fromMs: number) => Math.round((target * (nowMs - fromMs)) / (yearEndMs - yearStartMs));
    const { health } = ctx.fleetHealth;
    const availability = (window: TimeWindow) => health.uptime(window).fleet.uptimeRatio;
    const readerAvailability = (window: TimeWindow) => health.readerUptime(window).fleet.readerAvailabilityRatio;
    const readerNow = { lending: 0, returns_only: 0, closed: 0 };
    for (const k of ctx.registry.list()) {
      if (k.lifecycle !== 'reserve' && k.lifecycle !== 'withdrawn') readerNow[readerStatusOf(ctx, k.id).availability]++;
    }
    const window = (spec: string, fromMs: number): TimeWindow => ({ spec, fromMs, toMs: nowMs, countedToMs: nowMs });
    res.json({
      now: iso(nowMs),
      timeZone: ctx.store.timeZone,
      today,
      month,
      responsePromiseHours: health.policy.promiseMs / 3_600_000,
      availability: {
        today: availability(window(today, calendar.startOfDay(today))),
        month: availability(window(month, monthStartMs)),
      },
      readerAvailability: {
        today: readerAvailability(window(today, calendar.startOfDay(today))),
        month: readerAvailability(window(month, monthStartMs)),
      },
      readerNow,
      circulation: {
        month: table.rows.at(-1) ?? { loans: 0, returns: 0, total: 0 },
        year: table.total,
        yearTarget: target,
        monthPace: paceOf(monthStartMs),
        yearPace: paceOf(yearStartMs),
      },
    });
  });

  return router;
}
