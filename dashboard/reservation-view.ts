import type { Reservation } from '../collector/domain/reservations.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A reservation as the API and the live push show it. */
export function toReservationView(r: Reservation) {
  return {
    reservationId: r.reservationId,
    destination: r.destination,
    kioskId: r.kioskId,
    state: r.state,
    outcome: r.outcome,
    createdAt: iso(r.createdAtMs),
    atRiskAt: iso(r.atRiskAtMs),
    deadline: iso(r.deadlineMs),
    windowUsedRatio: Math.round(r.windowUsedRatio * 1000) / 1000,
    delivery: r.delivery ? { at: iso(r.delivery.atMs), kioskId: r.delivery.kioskId, by: r.delivery.by } : null,
    pickedUpAt: r.pickedUpAtMs === null ? null : iso(r.pickedUpAtMs),
    cancelled: r.cancelled ? { at: iso(r.cancelled.atMs), reason: r.cancelled.reason } : null,
    notices: Object.fromEntries(Object.entries(r.notices).map(([step, ms]) => [step, iso(ms)])),
  };
}
