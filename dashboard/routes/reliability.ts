import { Router } from 'express';
import { z } from 'zod';
import type { ComponentReliability } from '../../collector/domain/fault-response.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { windowOf, windowSpecSchema, windowView } from './uptime.js';
import { commaList } from './comma-list.js';

const HOUR_MS = 3_600_000;
const YEAR_MS = 365.25 * 86_400_000;
const hoursOf = (ms: number | null) => (ms === null ? null : Math.round((ms / HOUR_MS) * 100) / 100);

const query = z.strictObject({
  window: windowSpecSchema.default('30d'),
  kiosk: commaList(kioskIdSchema, 1_000).optional(),
});

const componentView = (c: ComponentReliability) => ({
  component: c.component,
  failures: c.failures,
  restored: c.restored,
  mtbfHours: hoursOf(c.mtbfMs),
  mttrHours: hoursOf(c.mttrMs),
});

/**
 * MTBF and MTTR per machine and per component over a window, machines with the shortest time
 * between failures first, with their age, so ageing machines stand out.
 */
export function reliabilityRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseOr400(query, req.query, 'query');
    const window = windowOf(ctx, q.window);
    // A window older than the history fleet health keeps in memory is folded from the store.
    const figures = await ctx.fleetHealth.health.figuresFrom(window.fromMs);
    const { kiosks, byComponent } = figures.reliability(window, ...(q.kiosk ? [q.kiosk] : []));
    const rows = kiosks.map((k) => {
      const record = ctx.registry.get(k.kioskId);
      const installedMs = record?.installedOn ? Date.parse(record.installedOn) : null;
      return {
        kioskId: k.kioskId,
        name: record?.name ?? k.kioskId,
        model: record?.model ?? null,
        installedOn: record?.installedOn ?? null,
        ageYears: installedMs === null ? null : Math.round(((ctx.now() - installedMs) / YEAR_MS) * 10) / 10,
        failures: k.failures,
        mtbfHours: hoursOf(k.mtbfMs),
        mttrHours: hoursOf(k.mttrMs),
        availableHours: hoursOf(k.availableMs),
        downHours: hoursOf(k.downMs),
        byComponent: k.byComponent.map(componentView),
      };
    });
    rows.sort(
      (a, b) =>
        (a.mtbfHours ?? Number.POSITIVE_INFINITY) - (b.mtbfHours ?? Number.POSITIVE_INFINITY) ||
        a.kioskId.localeCompare(b.kioskId),
    );
    res.json({
      window: windowView(ctx, window),
      rules: [
        'A failure is the machine going out of service or offline while it was expected in service; unknown spells do not split one.',
        'Machine MTBF = available time ÷ failures; machine MTTR = out-of-service and offline time ÷ failures.',
        'Per component, overlapping faults on one component are one failure; MTBF = expected time ÷ failures, MTTR = mean length of the failures that ended.',
      ],
      kiosks: rows,
      byComponent: byComponent.map(componentView),
    });
  });
  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const reliabilityRequests = { query };
