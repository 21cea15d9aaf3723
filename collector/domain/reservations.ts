import { z } from 'zod';
import { eventIdSchema, reservationDeliveredEventSchema } from '../../protocol/events.js';
import { timestampSchema } from '../../protocol/timestamp.js';
import { type Destination, destinationSchema } from '../../protocol/reservation-destination.js';
import type { Calendar, LocalMonth } from '../../time/calendar.js';
import type { HistoryEvent, KioskId } from './inspections.js';

/**
 * The 72-hour reservation promise (docs/domain.md: "online reservation, delivered to a machine or to
 * the reader's door, within 72 hours"). A reservation is a fold of its events; its state, the
 * notices due for it and the on-time rates are pure functions of those events and `now`.
 */

export type ReservationId = string;

/** Ids end up inside event ids (`res-created-{id}`), so they keep to the event id alphabet. */
export const reservationIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'a reservation id is 1-100 characters of A-Z, a-z, 0-9, . _ : -');

const base = { id: eventIdSchema, ts: timestampSchema };
const by = z.string().min(1).max(64);

/** Recorded when the online lending platform creates a reservation; `ts` is its creation time. */
export const reservationCreatedEventSchema = z.strictObject({
  ...base,
  type: z.literal('reservation_created'),
  reservationId: reservationIdSchema,
  destination: destinationSchema,
});

/** A courier's delivery: the machine's `reservation_delivered` event, with who delivered it. */
export const courierDeliveredEventSchema = reservationDeliveredEventSchema.extend({ by });

export const reservationPickedUpEventSchema = z.strictObject({
  ...base,
  type: z.literal('reservation_picked_up'),
  reservationId: reservationIdSchema,
  by: by.optional(),
});

export const reservationCancelledEventSchema = z.strictObject({
  ...base,
  type: z.literal('reservation_cancelled'),
  reservationId: reservationIdSchema,
  reason: z.string().max(200).optional(),
});

export const NOTICE_STEPS = ['at_risk', 'breached'] as const;
export type NoticeStep = (typeof NOTICE_STEPS)[number];

/** Kept so that a notice fires once, across restarts: `ts` is when it was issued. */
export const reservationNoticeEventSchema = z.strictObject({
  ...base,
  type: z.literal('reservation_notice'),
  reservationId: reservationIdSchema,
  step: z.enum(NOTICE_STEPS),
  deadline: timestampSchema,
});

/** Every event the reservation fold reads; a machine's delivery has no `by`. */
export const reservationEventSchema = z.discriminatedUnion('type', [
  reservationCreatedEventSchema,
  reservationDeliveredEventSchema.extend({ by: by.optional() }),
  reservationPickedUpEventSchema,
  reservationCancelledEventSchema,
  reservationNoticeEventSchema,
]);
export type ReservationEvent = z.infer<typeof reservationEventSchema>;
export const RESERVATION_EVENT_TYPES = reservationEventSchema.options.map((o) => o.shape.type.value);

/** Deterministic ids: creating the same reservation twice appends one event. */
export const reservationEventIds = {
  created: (id: ReservationId) => `res-created-${id}`,
  delivered: (id: ReservationId) => `res-delivered-${id}`,
  pickedUp: (id: ReservationId) => `res-picked-up-${id}`,
  cancelled: (id: ReservationId) => `res-cancelled-${id}`,
  notice: (id: ReservationId, step: NoticeStep) => `res-notice-${id}-${step}`,
};

export interface SlaPolicy {
  /** Deliver within this long of creation (docs/domain.md: 72 h). */
  windowMs: number;
  /** Share of the window used after which a reservation is at risk (0–1). */
  atRiskRatio: number;
}

export const DEFAULT_SLA_POLICY: SlaPolicy = Object.freeze({ windowMs: 72 * 3_600_000, atRiskRatio: 0.8 });

interface Fact {
  eventId: string;
  atMs: number;
  receivedMs: number;
  kioskId: KioskId;
}

/** Everything the history says about one reservation, in any order it arrived. */
export interface ReservationHistory {
  reservationId: ReservationId;
  created: (Fact & { destination: Destination }) | null;
  deliveries: (Fact & { by: string | null })[];
  pickups: (Fact & { by: string | null })[];
  cancellations: (Fact & { reason: string | null })[];
  notices: (Fact & { step: NoticeStep })[];
}

export const emptyHistory = (reservationId: ReservationId): ReservationHistory => ({
  reservationId,
  created: null,
  deliveries: [],
  pickups: [],
  cancellations: [],
  notices: [],
});

const byTime = (a: Fact, b: Fact) => a.atMs - b.atMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
const insert = <T extends Fact>(list: readonly T[], fact: T): T[] =>
  list.some((f) => f.eventId === fact.eventId) ? [...list] : [...list, fact].sort(byTime);

/** The reservation an event is about, or null when it is no reservation event. */
export function parseReservationEvent(event: HistoryEvent): ReservationEvent | null {
  const parsed = reservationEventSchema.safeParse(event.data);
  return parsed.success ? parsed.data : null;
}

/**
 * Adds one event to a reservation's history; returns a new history. Idempotent on event id and
 * independent of arrival order, so a replay of the store gives what the live fold gave.
 */
export function foldReservationEvent(
  history: ReservationHistory,
  event: HistoryEvent,
  data: ReservationEvent,
): ReservationHistory {
  const fact: Fact = { eventId: event.id, atMs: event.tsMs, receivedMs: event.receivedMs, kioskId: event.kioskId };
  switch (data.type) {
    case 'reservation_created': {
      const current = history.created;
      // One create per id by construction (deterministic event id); should two exist, the first received wins.
      const isFirst =
        current === null ||
        event.receivedMs < current.receivedMs ||
        (event.receivedMs === current.receivedMs && event.id < current.eventId);
      return isFirst ? { ...history, created: { ...fact, destination: data.destination } } : history;
    }
    case 'reservation_delivered':
      return { ...history, deliveries: insert(history.deliveries, { ...fact, by: data.by ?? null }) };
    case 'reservation_picked_up':
      return { ...history, pickups: insert(history.pickups, { ...fact, by: data.by ?? null }) };
    case 'reservation_cancelled':
      return { ...history, cancellations: insert(history.cancellations, { ...fact, reason: data.reason ?? null }) };
    case 'reservation_notice':
      return { ...history, notices: insert(history.notices, { ...fact, step: data.step }) };
  }
}

/**
 * A delivery counts only if the reservation was known when it arrived: one received before the
 * create is a delivery of an unknown reservation (dead-lettered when it came in) and changes nothing.
 */
export function countedDeliveries(history: ReservationHistory): ReservationHistory['deliveries'] {
  const created = history.created;
  if (!created) return [];
  return history.deliveries.filter((d) => d.receivedMs >= created.receivedMs);
}

export type ReservationState = 'open' | 'at_risk' | 'breached' | 'delivered_on_time' | 'delivered_late' | 'cancelled';
/** How the promise went: decided at delivery, or when the window ran out undelivered (`missed`). */
export type SlaOutcome = 'on_time' | 'late' | 'missed' | 'pending' | 'not_counted';

export interface Reservation {
  reservationId: ReservationId;
  destination: Destination;
  /** The destination machine, or `''` for a home delivery. */
  kioskId: KioskId;
  createdAtMs: number;
  atRiskAtMs: number;
  deadlineMs: number;
  state: ReservationState;
  outcome: SlaOutcome;
  /** Share of the window used so far (or by delivery), ≥ 0. */
  windowUsedRatio: number;
  delivery: { atMs: number; kioskId: KioskId; by: string | null } | null;
  pickedUpAtMs: number | null;
  cancelled: { atMs: number; reason: string | null } | null;
  /** When each notice was issued. */
  notices: Partial<Record<NoticeStep, number>>;
}

/**
 * The reservation as of `nowMs`, or null while no create is known. Delivered exactly at the
 * deadline is on time; one millisecond later is late. At risk once more than `atRiskRatio` of
 * the window is used; breached once the window has passed undelivered.
 */
export function reservationAt(history: ReservationHistory, policy: SlaPolicy, nowMs: number): Reservation | null {
  const created = history.created;
  if (!created) return null;
  const createdAtMs = created.atMs;
  const deadlineMs = createdAtMs + policy.windowMs;
  const atRiskAtMs = createdAtMs + policy.windowMs * policy.atRiskRatio;
  const delivered = countedDeliveries(history)[0];
  const cancelled = history.cancellations[0];
  const pickedUp = delivered ? history.pickups[0] : undefined;
  const notices: Partial<Record<NoticeStep, number>> = {};
  for (const notice of history.notices) notices[notice.step] ??= notice.atMs;

  let state: ReservationState;
  let outcome: SlaOutcome;
  if (delivered) {
    const isOnTime = delivered.atMs <= deadlineMs;
    state = isOnTime ? 'delivered_on_time' : 'delivered_late';
    outcome = isOnTime ? 'on_time' : 'late';
  } else if (cancelled) {
    state = 'cancelled';
    // Cancelled after its window ran out, the promise had already been broken.
    outcome = cancelled.atMs > deadlineMs ? 'missed' : 'not_counted';
  } else {
    state = nowMs > deadlineMs ? 'breached' : nowMs > atRiskAtMs ? 'at_risk' : 'open';
    outcome = state === 'breached' ? 'missed' : 'pending';
  }
  const usedUntilMs = delivered?.atMs ?? cancelled?.atMs ?? nowMs;
  return {
    reservationId: history.reservationId,
    destination: created.destination,
    kioskId: created.destination.kind === 'kiosk' ? created.destination.kioskId : '',
    createdAtMs,
    atRiskAtMs,
    deadlineMs,
    state,
    outcome,
    windowUsedRatio: Math.max(0, (usedUntilMs - createdAtMs) / policy.windowMs),
    delivery: delivered ? { atMs: delivered.atMs, kioskId: delivered.kioskId, by: delivered.by } : null,
    pickedUpAtMs: pickedUp?.atMs ?? null,
    cancelled: cancelled ? { atMs: cancelled.atMs, reason: cancelled.reason } : null,
    notices,
  };
}

/**
 * The notice a reservation needs at `nowMs`, if any: `breached` once past its deadline
 * undelivered, else `at_risk` once past the at-risk mark; each only if not issued before. A
 * reservation found already breached gets only the breach notice.
 */
export function dueNotice(reservation: Reservation, nowMs: number): NoticeStep | null {
  if (reservation.delivery || reservation.cancelled) return null;
  if (nowMs > reservation.deadlineMs) return reservation.notices.breached === undefined ? 'breached' : null;
  if (nowMs > reservation.atRiskAtMs && reservation.notices.at_risk === undefined && reservation.notices.breached === undefined)
    return 'at_risk';
  return null;
}

export interface OnTimeRate {
  /** Month of creation, in the fleet's calendar. */
  month: LocalMonth;
  /** Destination machine, or `home`; absent in fleet-wide rows. */
  destination?: KioskId;
  created: number;
  onTime: number;
  late: number;
  /** Undelivered past the window (still open, or cancelled after it). */
  missed: number;
  /** Undelivered, window still running. */
  pending: number;
  /** onTime / (onTime + late + missed), 0–1; null when none is decided. */
  onTimeRatio: number | null;
}

function emptyRate(month: LocalMonth, destination?: KioskId): OnTimeRate {
  return {
    month,
    ...(destination === undefined ? {} : { destination }),
    created: 0,
    onTime: 0,
    late: 0,
    missed: 0,
    pending: 0,
    onTimeRatio: null,
  };
}

function addTo(rate: OnTimeRate, reservation: Reservation): void {
  rate.created += 1;
  if (reservation.outcome === 'on_time') rate.onTime += 1;
  else if (reservation.outcome === 'late') rate.late += 1;
  else if (reservation.outcome === 'missed') rate.missed += 1;
  else if (reservation.outcome === 'pending') rate.pending += 1;
  const decided = rate.onTime + rate.late + rate.missed;
  rate.onTimeRatio = decided === 0 ? null : rate.onTime / decided;
}

/**
 * On-time rates by month of creation, fleet-wide and per destination (machine id or `home`).
 * A reservation cancelled before its window ran out undelivered is counted as created, not decided.
 */
export function onTimeRates(
  reservations: Iterable<Reservation>,
  calendar: Calendar,
): { byMonth: OnTimeRate[]; byDestination: OnTimeRate[] } {
  const byMonth = new Map<LocalMonth, OnTimeRate>();
  const byDestination = new Map<string, OnTimeRate>();
  for (const reservation of reservations) {
    const month = calendar.monthOf(reservation.createdAtMs);
    const destination = reservation.kioskId === '' ? 'home' : reservation.kioskId;
    let fleet = byMonth.get(month);
    if (!fleet) byMonth.set(month, (fleet = emptyRate(month)));
    addTo(fleet, reservation);
    const key = `${month} ${destination}`;
    let one = byDestination.get(key);
    if (!one) byDestination.set(key, (one = emptyRate(month, destination)));
    addTo(one, reservation);
  }
  const order = (a: OnTimeRate, b: OnTimeRate) =>
    a.month < b.month ? -1 : a.month > b.month ? 1 : (a.destination ?? '') < (b.destination ?? '') ? -1 : 1;
  return { byMonth: [...byMonth.values()].sort(order), byDestination: [...byDestination.values()].sort(order) };
}
