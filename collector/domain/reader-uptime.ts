import { overlapMs } from './interval.js';
import type { ReaderInterval } from './reader-timeline.js';
import { EXPECTED_STATES } from './service-state.js';

/**
 * Reader-side availability over a window, beside the technical uptime (uptime.ts): of the time a
 * machine was expected to serve readers (the same denominator as uptime), the share a reader could
 * borrow from it (lending) and the share it only took returns. The technical figure counts a
 * silently failing machine as available; this one does not.
 */
export interface ReaderUptimeFigures {
  /** Time expected in service: in service, degraded, out of service or offline. */
  expectedMs: number;
  lendingMs: number;
  returnsOnlyMs: number;
  /** lendingMs ÷ expectedMs, 0–1; null when nothing was expected. */
  readerAvailabilityRatio: number | null;
  /** returnsOnlyMs ÷ expectedMs, 0–1; null when nothing was expected. */
  returnsOnlyRatio: number | null;
}

function figuresOf(expectedMs: number, lendingMs: number, returnsOnlyMs: number): ReaderUptimeFigures {
  return {
    expectedMs,
    lendingMs,
    returnsOnlyMs,
    readerAvailabilityRatio: expectedMs > 0 ? lendingMs / expectedMs : null,
    returnsOnlyRatio: expectedMs > 0 ? returnsOnlyMs / expectedMs : null,
  };
}

/** One machine's reader-side availability over `[fromMs, toMs)` from its reader timeline. */
export function readerUptimeOf(timeline: readonly ReaderInterval[], fromMs: number, toMs: number): ReaderUptimeFigures {
  let expectedMs = 0;
  let lendingMs = 0;
  let returnsOnlyMs = 0;
  for (const i of timeline) {
    if (!EXPECTED_STATES.includes(i.state)) continue;
    const ms = overlapMs(i.fromMs, i.toMs, fromMs, toMs);
    expectedMs += ms;
    if (i.availability === 'lending') lendingMs += ms;
    else if (i.availability === 'returns_only') returnsOnlyMs += ms;
  }
  return figuresOf(expectedMs, lendingMs, returnsOnlyMs);
}

/** The fleet's figure: every machine's time added up. */
export function sumReaderUptime(figures: readonly ReaderUptimeFigures[]): ReaderUptimeFigures {
  let expectedMs = 0;
  let lendingMs = 0;
  let returnsOnlyMs = 0;
  for (const f of figures) {
    expectedMs += f.expectedMs;
    lendingMs += f.lendingMs;
    returnsOnlyMs += f.returnsOnlyMs;
  }
  return figuresOf(expectedMs, lendingMs, returnsOnlyMs);
}
