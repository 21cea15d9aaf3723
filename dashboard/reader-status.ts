import { type ReaderAvailability, readerAvailabilityOf } from '../collector/domain/reader-availability.js';
import type { DashboardContext } from './context.js';

/** A machine's reader-side availability now, and since when (as far as the platform can date it). */
export interface ReaderStatus {
  availability: ReaderAvailability;
  sinceMs: number | null;
}

/**
 * Reader-side availability of one machine from what the dashboard knows: fleet health's service
 * state and not-lending flag, and the live open faults. Checkout permission from the library
 * system is not reported by machines yet, so it counts as unknown.
 */
export function readerStatusOf(ctx: DashboardContext, kioskId: string): ReaderStatus {
  const { health } = ctx.fleetHealth;
  const service = health.serviceState(kioskId) ?? { state: 'unknown' as const, sinceMs: null };
  const notLending = health.notLending(kioskId);
  const live = ctx.collector.fleet.get(kioskId);
  const availability = readerAvailabilityOf({
    state: service.state,
    blockingComponents: (live?.openFaults ?? []).filter((f) => f.blocksLending).map((f) => f.component),
    isNotLending: notLending !== null,
    isCheckoutAllowed: null,
  });
  const sinceMs = notLending && availability === 'closed' ? notLending.detectedAtMs : service.sinceMs;
  return { availability, sinceMs };
}
