import type { Interval } from './interval.js';
import { walkMachine, type MachineContext } from './machine-condition.js';
import type { HealthEntry } from './health-entry.js';
import { type ReaderAvailability, readerAvailabilityOf } from './reader-availability.js';
import { AVAILABLE_STATES, type ServiceState, serviceStateOf } from './service-state.js';

/** `[fromMs, toMs)` in one technical state and one reader-side availability. */
export interface ReaderInterval extends Interval {
  state: ServiceState;
  availability: ReaderAvailability;
  /** In service as the platform saw it, but not lending (a silent failure). */
  isNotLending: boolean;
}

const isAvailableState = (state: ServiceState) => AVAILABLE_STATES.includes(state);

/**
 * One machine's reader-side availability (reader-availability.ts) from its first recorded instant
 * to `untilMs`. A silent failure counts from the start of its evidence (`since` of
 * kiosk_not_lending), not from when the check noticed it: readers could not borrow from then on,
 * whatever the platform knew. It is moved back only over time the machine was in service. Checkout
 * permission from the library system is not in the history, so it counts as unknown. Pure.
 */
export function readerTimeline(entries: readonly HealthEntry[], context: MachineContext, untilMs: number): ReaderInterval[] {
  const intervals: ReaderInterval[] = [];
  for (const { atMs, condition } of walkMachine(entries, context, untilMs)) {
    const state = serviceStateOf(condition);
    const isNotLending = condition.notLending !== null && isAvailableState(state);
    const availability = readerAvailabilityOf({
      state,
      blockingComponents: [...condition.faults.values()].filter((f) => f.isBlocking).map((f) => f.component),
      isNotLending,
      isCheckoutAllowed: null,
    });
    const last = intervals.at(-1);
    if (last) last.toMs = atMs;
    if (last && last.state === state && last.availability === availability && last.isNotLending === isNotLending) continue;
    if (isNotLending && condition.notLending && !last?.isNotLending) backdate(intervals, condition.notLending.sinceMs);
    const previous = intervals.at(-1);
    if (previous && previous.state === state && previous.availability === availability && previous.isNotLending === isNotLending)
      continue;
    intervals.push({ state, availability, isNotLending, fromMs: atMs, toMs: atMs });
  }
  const last = intervals.at(-1);
  if (last) last.toMs = Math.max(last.fromMs, untilMs);
  return intervals.filter((i) => i.toMs > i.fromMs);
}

/** Turns the in-service time since `sinceMs` at the end of the timeline into not-lending time. */
function backdate(intervals: ReaderInterval[], sinceMs: number): void {
  const moved: ReaderInterval[] = [];
  for (let last = intervals.at(-1); last; last = intervals.at(-1)) {
    if (last.toMs <= sinceMs || last.isNotLending || !isAvailableState(last.state)) break;
    intervals.pop();
    const fromMs = Math.max(last.fromMs, sinceMs);
    if (last.fromMs < fromMs) intervals.push({ ...last, toMs: fromMs });
    moved.unshift({ ...last, fromMs, availability: 'closed', isNotLending: true });
    if (last.fromMs < sinceMs) break;
  }
  intervals.push(...moved);
}
