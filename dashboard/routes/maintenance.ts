import { Router } from 'express';
import { z } from 'zod';
import { parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { toApiError } from '../refusal-status.js';
import { kioskIdOf } from './commands.js';
import { principalOf } from '../auth/guard.js';

const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const windowBody = z
  .strictObject({ from: instant, to: instant, reason: z.string().trim().min(1).max(500) })
  .refine((w) => w.to > w.from, { message: 'a maintenance window ends after it starts', path: ['to'] });

/** `/kiosks/:id/maintenance`: planned maintenance windows, left out of uptime and opening no alerts. */
export function maintenanceRouter(ctx: DashboardContext): Router {
  const router = Router({ mergeParams: true });

  router.get('/', (req, res) => {
    const id = kioskIdOf(ctx, (req.params as { id?: string }).id);
    const windows = ctx.fleetHealth.health.maintenanceWindows(id);
    res.json({
      windows: windows.map(({ windowId, from, to, by, reason, ts }) => ({ windowId, from, to, by, reason, recordedAt: ts })),
    });
  });

  router.post('/', async (req, res) => {
    const id = kioskIdOf(ctx, (req.params as { id?: string }).id);
    const body = parseOr400(windowBody, req.body, 'body');
    const by = principalOf(res).name;
    try {
      const { windowId } = await ctx.fleetHealth.operations.planMaintenance(id, {
        fromMs: body.from,
        toMs: body.to,
        reason: body.reason,
        by,
      });
      res.status(201).json({
        window: {
          windowId,
          from: new Date(body.from).toISOString(),
          to: new Date(body.to).toISOString(),
          by,
          reason: body.reason,
        },
      });
    } catch (error) {
      throw toApiError(error);
    }
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const maintenanceRequests = { windowBody };
