import type { Component } from '../../protocol/events.js';
import type { ServiceState } from './service-state.js';

/**
 * Can a reader borrow right now? The technical state (service-state.ts) says whether the machine
 * works as the platform sees it; this says what a reader standing in front of it can do:
 * - `lending`: in service (or degraded), not paused or withdrawn, the library system allows
 *   checkout where that is known, and not silently failing;
 * - `returns_only`: it takes books back but cannot lend: the library system refuses checkout, or
 *   the only faults stopping it are in the lending path (the shelf transport that hands books
 *   out; the return slot is a separate mechanism);
 * - `closed`: anything else (offline, out of service, paused, withdrawn, in maintenance, not
 *   lending, unknown).
 */
export const READER_AVAILABILITIES = ['lending', 'returns_only', 'closed'] as const;
export type ReaderAvailability = (typeof READER_AVAILABILITIES)[number];

/** Components whose blocking faults stop lending but leave returns working. */
export const LENDING_ONLY_COMPONENTS: readonly Component[] = ['shelf_mechanism'];

export interface ReaderAvailabilityInput {
  state: ServiceState;
  /** Components of the open faults that block lending. */
  blockingComponents: readonly Component[];
  /** The platform judged it online but not lending. */
  isNotLending: boolean;
  /** The library system's word on checkout (SIP2 ACS status), or null when the platform does not know it. */
  isCheckoutAllowed: boolean | null;
}

export function readerAvailabilityOf(input: ReaderAvailabilityInput): ReaderAvailability {
  const { state, blockingComponents, isNotLending, isCheckoutAllowed } = input;
  if (isNotLending) return 'closed';
  if (state === 'in_service' || state === 'degraded') return isCheckoutAllowed === false ? 'returns_only' : 'lending';
  if (state === 'out_of_service' && blockingComponents.length > 0) {
    return blockingComponents.every((c) => LENDING_ONLY_COMPONENTS.includes(c)) ? 'returns_only' : 'closed';
  }
  return 'closed';
}
