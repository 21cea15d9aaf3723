import type { Server } from 'socket.io';
import type { ReservationNotice } from '../collector/promises/reservation-service.js';
import type { DashboardContext } from './context.js';
import type { ClientToServerEvents, PromisesSummary, ServerToClientEvents } from './socket-events.js';

/** The service promises at a glance: this week's inspections and the outstanding reservations. */
/** Changes are coalesced: at most one summary per interval. */
const PUSH_INTERVAL_MS = 1_000;
/** The figures also move with the clock alone (a week ends, a reservation becomes at risk). */
const REFRESH_MS = 60_000;

export function promisesSummary(ctx: DashboardContext): PromisesSummary {
  return {
    at: new Date(ctx.now()).toISOString(),
    inspections: ctx.inspections.summary(),
    reservations: ctx.reservations.summary(),
  };
}

/**
 * Pushes `promises` (on connect, then when they change) and each reservation `notice` at once.
 * Notifiers other than the live page subscribe to the reservation service's `notice` event.
 */
export function attachPromisesPush(
  io: Server<ClientToServerEvents, ServerToClientEvents>,
  ctx: DashboardContext,
): { close(): void } {
  const { inspections, reservations } = ctx;
  let isDirty = false;
  let sinceRefreshMs = 0;
  const markDirty = () => void (isDirty = true);
  // Each node of a cluster that follows the others computes the same figures: it tells its own browsers.
  const summaryPushes = ctx.isFollowingOtherNodes ? io.local : io;
  const onNotice = (notice: ReservationNotice) => void io.emit('notice', notice);
  inspections.on('changed', markDirty);
  reservations.on('changed', markDirty);
  reservations.on('notice', onNotice);

  const timer = setInterval(() => {
    sinceRefreshMs += PUSH_INTERVAL_MS;
    if (sinceRefreshMs >= REFRESH_MS) {
      sinceRefreshMs = 0;
      isDirty = true;
    }
    if (!isDirty) return;
    isDirty = false;
    summaryPushes.emit('promises', promisesSummary(ctx));
  }, PUSH_INTERVAL_MS);
  timer.unref();
  io.on('connection', (socket) => socket.emit('promises', promisesSummary(ctx)));

  return {
    close() {
      clearInterval(timer);
      inspections.off('changed', markDirty);
      reservations.off('changed', markDirty);
      reservations.off('notice', onNotice);
    },
  };
}
