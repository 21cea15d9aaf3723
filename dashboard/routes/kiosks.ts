import { Router } from 'express';
import { z } from 'zod';
import { kioskRecordSchema } from '../../registry/kiosk.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { SERVICE_STATES } from '../../collector/domain/service-state.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { toKioskView } from '../kiosk-view.js';
import { readerStatusOf } from '../reader-status.js';
import { toApiError } from '../refusal-status.js';

const publicStatusBody = z.strictObject({ hidden: z.boolean() });
const listQuery = z.strictObject({
  connection: z.enum(['online', 'offline', 'unknown']).optional(),
  state: z.enum(SERVICE_STATES).optional(),
  district: z.string().max(100).optional(),
});

export function kiosksRouter(ctx: DashboardContext): Router {
  const router = Router();

  function views() {
    const records = new Map(ctx.registry.list().map((k) => [k.id, k]));
    const ids = new Set([...records.keys(), ...ctx.collector.fleet.all().map((s) => s.kioskId)]);
    return [...ids]
      .sort()
      .map((id) => toKioskView(records.get(id), ctx.collector.fleet.get(id), id, ctx.fleetHealth.health.serviceState(id)));
  }

  router.get('/', (req, res) => {
    const query = parseOr400(listQuery, req.query, 'query');
    const kiosks = views().filter(
      (k) =>
        (query.connection === undefined || k.connection === query.connection) &&
        (query.state === undefined || k.serviceState === query.state) &&
        (query.district === undefined || k.district === query.district || k.districtEn === query.district),
    );
    res.json({ kiosks, count: kiosks.length });
  });

  router.get('/:id', (req, res) => {
    const id = parseOr400(kioskIdSchema, req.params.id, 'path');
    const record = ctx.registry.get(id);
    const live = ctx.collector.fleet.get(id);
    if (!record && !live) throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
    const reader = readerStatusOf(ctx, id);
    res.json({
      kiosk: toKioskView(record, live, id, ctx.fleetHealth.health.serviceState(id)),
      reader: {
        availability: reader.availability,
        since: reader.sinceMs === null ? null : new Date(reader.sinceMs).toISOString(),
      },
    });
  });

  /** What usually happens at this hour and what did: the machine page's "usual for this hour". */
  router.get('/:id/activity', (req, res) => {
    const id = parseOr400(kioskIdSchema, req.params.id, 'path');
    if (!ctx.registry.get(id) && !ctx.collector.fleet.get(id))
      throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
    const a = ctx.fleetHealth.lending.activity(id);
    const iso = (ms: number) => new Date(ms).toISOString();
    res.json({
      kioskId: id,
      hourStart: iso(a.hourStartMs),
      usualThisHour: a.usualThisHour,
      seenThisHour: a.seenThisHour,
      insufficientHistory: a.insufficientHistory,
      usualNext24h: a.usualNext24h,
      notLending: a.notLending && {
        since: iso(a.notLending.sinceMs),
        detectedAt: iso(a.notLending.detectedAtMs),
        expected: a.notLending.expected,
        seen: a.notLending.seen,
        probability: a.notLending.probability,
      },
    });
  });

  /** Shows the machine on the public status page, or hides it (`{hidden: true}`). */
  router.post('/:id/public-status', async (req, res) => {
    const id = parseOr400(kioskIdSchema, req.params.id, 'path');
    const body = parseOr400(publicStatusBody, req.body, 'body');
    if (!ctx.registry.get(id)) throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
    const kiosk = await ctx.registry.setHiddenFromStatusPage(id, body.hidden);
    res.json({ kioskId: id, hiddenFromStatusPage: kiosk.isHiddenFromStatusPage === true });
  });

  router.post('/', async (req, res) => {
    const input = parseOr400(kioskRecordSchema, req.body, 'body');
    try {
      const { kiosk, token } = await ctx.registry.provision(input);
      ctx.collector.fleet.ensure([kiosk.id]);
      res.status(201).json({ kiosk, mqtt: mqttCredentials(ctx, kiosk.id, token) });
    } catch (error) {
      throw toApiError(error);
    }
  });

  router.post('/:id/token', async (req, res) => {
    const id = parseOr400(kioskIdSchema, req.params.id, 'path');
    if (!ctx.registry.get(id)) throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
    res.json({ mqtt: mqttCredentials(ctx, id, await ctx.registry.rotateToken(id)) });
  });

  // Revoked: no token works and a connected machine is dropped within a second; a new token
  // (POST /:id/token) lets it back in.
  router.post('/:id/revoke', async (req, res) => {
    const id = parseOr400(kioskIdSchema, req.params.id, 'path');
    if (!ctx.registry.get(id)) throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
    await ctx.registry.revoke(id);
    res.json({ kioskId: id, revoked: true });
  });

  return router;
}

/** What a machine needs to connect; the token is shown this once. */
function mqttCredentials(ctx: DashboardContext, kioskId: string, token: string) {
  return {
    url: ctx.mqttEndpoint,
    clientId: kioskId,
    username: kioskId,
    password: token,
    topics: Object.fromEntries(
      (['status', 'events', 'telemetry', 'commands', 'acks'] as const).map((c) => [c, ctx.topics.topic(kioskId, c)]),
    ),
  };
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const kiosksRequests = { listQuery, publicStatusBody };
