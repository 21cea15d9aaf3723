import { Router } from 'express';
import { z } from 'zod';
import { createCalendar } from '../../time/calendar.js';
import { FIRST_REPORTABLE_MONTH, LAST_REPORTABLE_MONTH } from '../../collector/domain/circulation.js';
import { hasEnoughData } from '../../collector/domain/enough-data.js';
import { parseTimeWindow, type TimeWindow, UPTIME_RULES, WINDOW_SPEC_PATTERN } from '../../collector/domain/uptime.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { commaList } from './comma-list.js';

const iso = (ms: number) => new Date(ms).toISOString();
const withoutId = <T extends { kioskId: string }>({ kioskId: _, ...rest }: T) => rest;

export const windowSpecSchema = z.string().regex(WINDOW_SPEC_PATTERN, 'must be 24h, 7d, 30d, a month (2026-11) or a year (2026)');
const kioskList = commaList(kioskIdSchema, 1_000);

const uptimeQuery = z.strictObject({ window: windowSpecSchema.default('24h'), kiosk: kioskList.optional() });
const timelineQuery = z.strictObject({ window: windowSpecSchema.default('24h'), kiosk: kioskIdSchema });

/** A window query's instants, in the store's (fleet's) time zone. */
export function windowOf(ctx: DashboardContext, spec: string): TimeWindow {
  const window = parseTimeWindow(spec, ctx.now(), createCalendar(ctx.store.timeZone));
  if (!window) {
    const message = `window: a month or a year from ${FIRST_REPORTABLE_MONTH.slice(0, 4)} to ${LAST_REPORTABLE_MONTH.slice(0, 4)}, got ${spec}`;
    throw new ApiError(400, 'INVALID_REQUEST', `invalid query: ${message}`);
  }
  return window;
}

export const windowView = (ctx: DashboardContext, w: TimeWindow) => ({
  spec: w.spec,
  from: iso(w.fromMs),
  to: iso(w.toMs),
  countedTo: iso(w.countedToMs),
  timeZone: ctx.store.timeZone,
});

/** Time-weighted availability per machine and for the fleet, with the counting rules beside the figure. */
export function uptimeRouter(ctx: DashboardContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const q = parseOr400(uptimeQuery, req.query, 'query');
    const window = windowOf(ctx, q.window);
    const { health } = ctx.fleetHealth;
    // A window older than the history fleet health keeps in memory is folded from the store.
    const figures = await health.figuresFrom(window.fromMs);
    const { fleet, kiosks } = figures.uptime(window, ...(q.kiosk ? [q.kiosk] : []));
    const reader = figures.readerUptime(window, ...(q.kiosk ? [q.kiosk] : []));
    // Minutes of watching make a "100 %" that says nothing: enoughData tells the reader (the
    // machine page, the fleet tiles) to say "not enough data yet" instead of the ratio.
    const windowElapsedMs = window.countedToMs - window.fromMs;
    const measured = kiosks.filter((k) => k.expectedMs > 0);
    res.json({
      window: windowView(ctx, window),
      rules: UPTIME_RULES,
      rulesDoc: 'docs/uptime.md',
      fleet: {
        ...fleet,
        enoughData: hasEnoughData({ measuredMs: fleet.expectedMs, machines: measured.length, windowElapsedMs }),
        reader: reader.fleet,
      },
      kiosks: kiosks.map((k, i) => ({
        ...k,
        enoughData: hasEnoughData({ measuredMs: k.expectedMs, machines: 1, windowElapsedMs }),
        reader: withoutId(reader.kiosks[i]!),
        name: ctx.registry.get(k.kioskId)?.name ?? k.kioskId,
        state: health.serviceState(k.kioskId).state,
      })),
    });
  });

  /** One machine's service states over the window, for a strip chart. */
  router.get('/timeline', async (req, res) => {
    const q = parseOr400(timelineQuery, req.query, 'query');
    const window = windowOf(ctx, q.window);
    const figures = await ctx.fleetHealth.health.figuresFrom(window.fromMs);
    const intervals = figures.timeline(q.kiosk, window.fromMs, window.countedToMs);
    res.json({
      kioskId: q.kiosk,
      window: windowView(ctx, window),
      intervals: intervals.map((i) => ({ state: i.state, from: iso(i.fromMs), to: iso(i.toMs) })),
    });
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const uptimeRequests = { uptimeQuery, timelineQuery };
