import { Router } from 'express';
import { z } from 'zod';
import type { CommandRecord } from '../../collector/domain/command-log.js';
import { commandSchema, kioskIdSchema } from '../../protocol/index.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { toApiError } from '../refusal-status.js';
import { principalOf } from '../auth/guard.js';

const commandBody = z.strictObject({
  type: commandSchema.shape.type,
  // Trimmed here: the lifecycle change a command records refuses a blank reason, so refuse it first.
  reason: z.string().trim().min(1, 'must not be blank').max(500),
});

const iso = (ms: number) => new Date(ms).toISOString();

export const commandView = (c: CommandRecord) => ({
  id: c.commandId,
  kioskId: c.kioskId,
  type: c.command,
  reason: c.reason,
  by: c.by,
  sentAt: iso(c.sentAtMs),
  status: c.ack === null ? 'sent' : c.ack.result,
  ack: c.ack === null ? null : { result: c.ack.result, detail: c.ack.detail, at: iso(c.ack.atMs) },
});

/** The path's kiosk id, checked and registered; 404 otherwise. */
export function kioskIdOf(ctx: DashboardContext, raw: unknown): string {
  const id = parseOr400(kioskIdSchema, raw, 'path');
  if (!ctx.registry.get(id)) throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
  return id;
}

/**
 * `/kiosks/:id/commands`: pause, resume, withdraw or reboot a machine over MQTT, audited with who,
 * when and why; the machine's `command_ack` closes the command. Pause, resume and withdraw also
 * set the machine's lifecycle.
 */
export function commandsRouter(ctx: DashboardContext): Router {
  const router = Router({ mergeParams: true });

  router.get('/', (req, res) => {
    const id = kioskIdOf(ctx, (req.params as { id?: string }).id);
    res.json({ commands: ctx.fleetHealth.health.commands(id).map(commandView) });
  });

  router.post('/', async (req, res) => {
    const id = kioskIdOf(ctx, (req.params as { id?: string }).id);
    const body = parseOr400(commandBody, req.body, 'body');
    try {
      const command = await ctx.fleetHealth.operations.send(id, { ...body, by: principalOf(res).name });
      res.status(202).json({ command: commandView(command), lifecycle: ctx.registry.get(id)?.lifecycle ?? null });
    } catch (error) {
      throw toApiError(error);
    }
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const commandsRequests = { commandBody };
