import type { KioskEvent } from '../protocol/events.js';
import type { KioskId } from '../protocol/topics.js';
import type { ActivityProfile, FaultKind } from './profile.js';
import { randomInt, samplePoisson, type Rng } from './random.js';
import { timestampFormatterFor } from './local-timestamp.js';

/** A fault raised and not yet cleared; carried across ticks and restarts. */
export interface OpenFault {
  faultId: string;
  code: string;
  clearAtMs: number;
  isBlockingLending: boolean;
}

/** What a machine's activity generator remembers between intervals. */
export interface ActivityState {
  /** Unique per process start: event ids are `{kioskId}-{bootId}-{seq}`, so never repeat. */
  readonly bootId: string;
  readonly nextSeq: number;
  readonly openFaults: readonly OpenFault[];
  /** Paused or withdrawn by an operator: no loans or returns. */
  readonly isLendingPaused: boolean;
  /**
   * Failing silently until then (epoch ms): heartbeat and no fault, but nothing lent or returned.
   * Not carried across a restart of the simulator: a reboot ends a hung machine's failure.
   */
  readonly silentUntilMs: number | null;
}

/** A silent failure, as the simulation's truth file records it (never sent to the platform). */
export interface SilentFailure {
  kioskId: KioskId;
  fromMs: number;
  /** When it is due to end (a restart of the simulator ends it earlier). */
  toMs: number;
}

/** A loan or return a reader wanted and the machine could not serve. */
export interface MissedTransaction {
  atMs: number;
  kind: 'loan' | 'return';
  cause: 'fault' | 'silent_failure';
}

export interface GeneratedActivity {
  /** Ordered by time, every `ts` inside (fromMs, toMs]. */
  events: KioskEvent[];
  state: ActivityState;
  /** Silent failures that started in the interval: the simulation's truth, never an event. */
  silentFailures: SilentFailure[];
  /** Demand the machine could not serve (blocked by a fault, or failing silently): truth for scoring. */
  missed: MissedTransaction[];
}

type EventBody = KioskEvent extends infer E ? (E extends KioskEvent ? Omit<E, 'id' | 'ts'> : never) : never;

interface Happening {
  atMs: number;
  kind: 'loan' | 'return' | 'fault' | 'silent_failure';
  fault?: FaultKind;
  restoreMs?: number;
}

export function createActivityState(bootId: string, carried?: Partial<ActivityState>): ActivityState {
  return { nextSeq: 0, openFaults: [], isLendingPaused: false, silentUntilMs: null, ...carried, bootId };
}

/** Draws what happens in (startMs, endMs], one local hour at most, ordered by time. */
function drawSlice(profile: ActivityProfile, state: ActivityState, startMs: number, endMs: number, rng: Rng): Happening[] {
  const hours = (endMs - startMs) / 3_600_000;
  const at = () => startMs + Math.min(endMs - startMs, Math.floor(rng() * (endMs - startMs)) + 1);
  const happenings: Happening[] = [];
  if (!state.isLendingPaused) {
    // Readers who find a machine blocked by a fault come back later: demand is scaled up by the
    // expected availability so that the month's totals still match the table.
    const scale = hours / profile.faults.lendingAvailabilityRatio;
    const rates = profile.ratesAt(startMs);
    for (let n = samplePoisson(rng, rates.loansPerHour * scale); n > 0; n--) happenings.push({ atMs: at(), kind: 'loan' });
    for (let n = samplePoisson(rng, rates.returnsPerHour * scale); n > 0; n--) happenings.push({ atMs: at(), kind: 'return' });
    for (let n = samplePoisson(rng, profile.faults.silentFailuresPerHour * hours); n > 0; n--) {
      happenings.push({ atMs: at(), kind: 'silent_failure', restoreMs: profile.faults.silentFailureMs(rng()) });
    }
  }
  for (let n = samplePoisson(rng, profile.faults.faultsPerHour * hours); n > 0; n--) {
    const fault = profile.faults.pickKind(rng());
    happenings.push({ atMs: at(), kind: 'fault', fault, restoreMs: profile.faults.restoreMs(fault, rng()) });
  }
  return happenings.sort((a, b) => a.atMs - b.atMs);
}

/**
 * Loans, returns, faults and fault clearances of one machine in (fromMs, toMs] (integer epoch ms).
 * Pure: the same profile, interval, rng sequence and state give the same events.
 */
export function generateActivity(
  profile: ActivityProfile,
  kioskId: KioskId,
  fromMs: number,
  toMs: number,
  rng: Rng,
  state: ActivityState = createActivityState(`g${randomInt(rng, 0, 0xffffffff).toString(16)}`),
): GeneratedActivity {
  const format = timestampFormatterFor(profile.timeZone);
  const firstMs = Math.floor(fromMs) + 1;
  const events: KioskEvent[] = [];
  let nextSeq = state.nextSeq;
  let openFaults = [...state.openFaults];
  let silentUntilMs = state.silentUntilMs ?? null;
  const silentFailures: SilentFailure[] = [];
  const missed: MissedTransaction[] = [];
  const emit = (atMs: number, body: EventBody) => {
    events.push({ id: `${kioskId}-${state.bootId}-${nextSeq++}`, ts: format(atMs), ...body } as KioskEvent);
  };
  const clearUpTo = (atMs: number) => {
    const due = openFaults.filter((f) => f.clearAtMs <= atMs).sort((a, b) => a.clearAtMs - b.clearAtMs);
    // A fault due before the interval (carried over a gap in the simulation) clears at its start.
    for (const fault of due) emit(Math.max(fault.clearAtMs, firstMs), { type: 'fault_cleared', faultId: fault.faultId });
    if (due.length > 0) openFaults = openFaults.filter((f) => f.clearAtMs > atMs);
  };

  for (let sliceStartMs = Math.floor(fromMs); sliceStartMs < Math.floor(toMs);) {
    const sliceEndMs = Math.min(profile.hourEndMs(sliceStartMs), Math.floor(toMs));
    for (const happening of drawSlice(profile, state, sliceStartMs, sliceEndMs, rng)) {
      clearUpTo(happening.atMs);
      if (happening.kind === 'fault') {
        const kind = happening.fault!;
        if (openFaults.some((f) => f.code === kind.code)) continue;
        const faultId = `${kioskId}-${state.bootId}-f${nextSeq}`;
        openFaults.push({
          faultId,
          code: kind.code,
          clearAtMs: happening.atMs + happening.restoreMs!,
          isBlockingLending: kind.isBlockingLending,
        });
        emit(happening.atMs, faultBody(faultId, kind));
      } else if (happening.kind === 'silent_failure') {
        if (silentUntilMs !== null && silentUntilMs > happening.atMs) continue;
        silentUntilMs = happening.atMs + happening.restoreMs!;
        silentFailures.push({ kioskId, fromMs: happening.atMs, toMs: silentUntilMs });
      } else if (openFaults.some((f) => f.isBlockingLending)) {
        missed.push({ atMs: happening.atMs, kind: happening.kind, cause: 'fault' });
      } else if (silentUntilMs !== null && silentUntilMs > happening.atMs) {
        missed.push({ atMs: happening.atMs, kind: happening.kind, cause: 'silent_failure' });
      } else {
        emit(happening.atMs, { type: happening.kind, itemId: `B${randomInt(rng, 100_000, 1_000_000)}` });
      }
    }
    clearUpTo(sliceEndMs);
    sliceStartMs = sliceEndMs;
  }
  if (silentUntilMs !== null && silentUntilMs <= Math.floor(toMs)) silentUntilMs = null;
  return { events, state: { ...state, nextSeq, openFaults, silentUntilMs }, silentFailures, missed };
}

function faultBody(faultId: string, kind: FaultKind): EventBody {
  return {
    type: 'fault',
    faultId,
    component: kind.component,
    code: kind.code,
    severity: kind.severity,
    blocksLending: kind.isBlockingLending,
    message: kind.description,
  };
}

/** One event the machine makes outside the generator (a command ack), numbered from the same sequence. */
export function issueEvent(
  kioskId: KioskId,
  state: ActivityState,
  atMs: number,
  body: EventBody,
  timeZone: string,
): { event: KioskEvent; state: ActivityState } {
  const id = `${kioskId}-${state.bootId}-${state.nextSeq}`;
  const event = { id, ts: timestampFormatterFor(timeZone)(atMs), ...body } as KioskEvent;
  return { event, state: { ...state, nextSeq: state.nextSeq + 1 } };
}
