import { type Response, Router } from 'express';
import { z } from 'zod';
import { type Reservation, reservationIdSchema, type ReservationState } from '../../collector/domain/reservations.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { toApiError } from '../refusal-status.js';
import { destinationSchema } from '../../protocol/reservation-destination.js';
import { toReservationView } from '../reservation-view.js';
import { principalOf } from '../auth/guard.js';
import { commaList } from './comma-list.js';

const STATES = [
  'open',
  'at_risk',
  'breached',
  'delivered_on_time',
  'delivered_late',
  'cancelled',
] as const satisfies readonly ReservationState[];
const OUTSTANDING: ReservationState[] = ['open', 'at_risk', 'breached'];

const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, e.g. 2026-11');

const listQuery = z.strictObject({
  state: commaList(z.enum(STATES)).optional(),
  /** A destination machine, or `home`. */
  kiosk: z.union([z.literal('home'), kioskIdSchema]).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
});
const onTimeQuery = z.strictObject({ from: month.optional(), to: month.optional() });

const createBody = z.strictObject({
  reservationId: reservationIdSchema,
  createdAt: instant,
  destination: destinationSchema,
});
/** Who delivered or handed it out is the caller: the courier's token, or the person signed in. */
const deliveredBody = z.strictObject({
  /** Default: now. */
  deliveredAt: instant.optional(),
});
const pickedUpBody = z.strictObject({ pickedUpAt: instant.optional() });
const cancelBody = z.strictObject({ cancelledAt: instant.optional(), reason: z.string().max(200).optional() });

/**
 * The 72-hour reservation promise. Reservations are created by the online lending platform and
 * delivered by a machine (`reservation_delivered` over MQTT) or by a courier (here).
 */
export function reservationsRouter(ctx: DashboardContext): Router {
  const router = Router();
  const answer = (status: number, result: { reservation: Reservation; isNew: boolean }) => ({
    status,
    body: { reservation: toReservationView(result.reservation), isNew: result.isNew },
  });
  const run = async (work: () => Promise<{ status: number; body: unknown }>, res: Response) => {
    try {
      const { status, body } = await work();
      res.status(status).json(body);
    } catch (error) {
      throw toApiError(error);
    }
  };

  router.get('/', (req, res) => {
    const q = parseOr400(listQuery, req.query, 'query');
    const kioskId = q.kiosk === 'home' ? '' : q.kiosk;
    const all = ctx.reservations.list({ states: q.state ?? OUTSTANDING, ...(kioskId === undefined ? {} : { kioskId }) });
    const { windowMs, atRiskRatio } = ctx.reservations.policy;
    res.json({
      reservations: all.slice(0, q.limit).map(toReservationView),
      count: all.length,
      slaHours: windowMs / 3_600_000,
      atRiskRatio,
    });
  });

  router.get('/on-time', (req, res) => {
    const q = parseOr400(onTimeQuery, req.query, 'query');
    res.json({
      timeZone: ctx.store.timeZone,
      slaHours: ctx.reservations.policy.windowMs / 3_600_000,
      ...ctx.reservations.onTimeRates(q.from, q.to),
    });
  });

  router.get('/:id', (req, res) => {
    const id = parseOr400(reservationIdSchema, req.params.id, 'path');
    const reservation = ctx.reservations.get(id);
    if (!reservation) throw new ApiError(404, 'RESERVATION_NOT_FOUND', `no reservation with id ${id}`);
    res.json({ reservation: toReservationView(reservation) });
  });

  router.post('/', async (req, res) => {
    const body = parseOr400(createBody, req.body, 'body');
    await run(async () => {
      const result = await ctx.reservations.create({
        reservationId: body.reservationId,
        createdAtMs: body.createdAt,
        destination: body.destination,
      });
      return answer(result.isNew ? 201 : 200, result);
    }, res);
  });

  router.post('/:id/delivered', async (req, res) => {
    const id = parseOr400(reservationIdSchema, req.params.id, 'path');
    const body = parseOr400(deliveredBody, req.body, 'body');
    await run(
      async () =>
        answer(
          200,
          await ctx.reservations.deliver(
            id,
            { atMs: body.deliveredAt ?? ctx.now(), by: principalOf(res).name },
            `POST /api/v1/reservations/${id}/delivered`,
          ),
        ),
      res,
    );
  });

  router.post('/:id/picked-up', async (req, res) => {
    const id = parseOr400(reservationIdSchema, req.params.id, 'path');
    const body = parseOr400(pickedUpBody, req.body ?? {}, 'body');
    await run(
      async () =>
        answer(200, await ctx.reservations.pickUp(id, { atMs: body.pickedUpAt ?? ctx.now(), by: principalOf(res).name })),
      res,
    );
  });

  router.post('/:id/cancel', async (req, res) => {
    const id = parseOr400(reservationIdSchema, req.params.id, 'path');
    const body = parseOr400(cancelBody, req.body ?? {}, 'body');
    await run(
      async () => answer(200, await ctx.reservations.cancel(id, { atMs: body.cancelledAt ?? ctx.now(), reason: body.reason })),
      res,
    );
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const reservationsRequests = { listQuery, onTimeQuery, createBody, deliveredBody, pickedUpBody, cancelBody };
