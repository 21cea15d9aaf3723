import type { KioskEvent } from '../protocol/events.js';
import type { Telemetry } from '../protocol/telemetry.js';
import type { Rng } from './random.js';

/**
 * A machine's physical state behind its telemetry: loans use receipt paper and empty shelves,
 * returns fill the return bin and the shelves; a crew empties the bin and refills paper now and
 * then. Pure.
 */
export interface HealthState {
  readonly capacityBooks: number;
  readonly booksAvailable: number;
  readonly binFillPercent: number;
  readonly paperPercent: number;
  /** The fill at which the crew will next empty the bin. */
  readonly binEmptyAtPercent: number;
  /** The paper level at which the crew will next refill it. */
  readonly paperRefillAtPercent: number;
}

/** A return bin holds about 100 books; a receipt roll prints about 400 receipts. */
const BIN_PERCENT_PER_RETURN = 1;
const PAPER_PERCENT_PER_LOAN = 0.25;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const round1 = (value: number) => Math.round(value * 10) / 10;

export function createHealthState(capacityBooks: number, rng: Rng): HealthState {
  return {
    capacityBooks,
    booksAvailable: Math.round(capacityBooks * (0.6 + 0.3 * rng())),
    binFillPercent: round1(40 * rng()),
    paperPercent: round1(40 + 60 * rng()),
    binEmptyAtPercent: 50 + 40 * rng(),
    paperRefillAtPercent: 5 + 15 * rng(),
  };
}

export function applyActivity(state: HealthState, events: readonly KioskEvent[], rng: Rng): HealthState {
  let { booksAvailable, binFillPercent, paperPercent, binEmptyAtPercent, paperRefillAtPercent } = state;
  for (const event of events) {
    if (event.type === 'loan') {
      booksAvailable = clamp(booksAvailable - 1, 0, state.capacityBooks);
      paperPercent = Math.max(0, paperPercent - PAPER_PERCENT_PER_LOAN);
    } else if (event.type === 'return') {
      booksAvailable = clamp(booksAvailable + 1, 0, state.capacityBooks);
      binFillPercent = Math.min(100, binFillPercent + BIN_PERCENT_PER_RETURN);
    }
    if (binFillPercent >= binEmptyAtPercent) {
      binFillPercent = 0;
      binEmptyAtPercent = 50 + 40 * rng();
    }
    if (paperPercent <= paperRefillAtPercent) {
      paperPercent = 100;
      paperRefillAtPercent = 5 + 15 * rng();
    }
  }
  return { ...state, booksAvailable, binFillPercent, paperPercent, binEmptyAtPercent, paperRefillAtPercent };
}

/** Readings at a local timestamp: the cabinet is warmest mid-afternoon. */
export function readTelemetry(state: HealthState, ts: string, rng: Rng): Telemetry {
  const localHour = Number(ts.slice(11, 13));
  const temperatureC = 20 + 6 * Math.sin((2 * Math.PI * (localHour - 9)) / 24) + 2 * (rng() - 0.5);
  return {
    ts,
    temperatureC: round1(temperatureC),
    binFillPercent: round1(state.binFillPercent),
    paperPercent: round1(state.paperPercent),
    booksAvailable: state.booksAvailable,
    signalDbm: Math.round(clamp(-65 + 16 * (rng() - 0.5), -150, 0)),
  };
}
