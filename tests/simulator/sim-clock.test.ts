import { describe, expect, test } from 'vitest';
import { createSimClock, simulatedNowMs } from '../../simulator/sim-clock.js';

const HOUR_MS = 3_600_000;
const REAL_START_MS = Date.parse('2026-01-10T00:00:00Z');

describe('simulated clock', () => {
  test.each([
    {
      case: 'at the real start it shows the simulated start',
      startMs: REAL_START_MS - 10 * HOUR_MS,
      speed: 3600,
      elapsedMs: 0,
      expectedMs: REAL_START_MS - 10 * HOUR_MS,
    },
    {
      case: 'one real second at 3600× is one simulated hour',
      startMs: REAL_START_MS - 10 * HOUR_MS,
      speed: 3600,
      elapsedMs: 1_000,
      expectedMs: REAL_START_MS - 9 * HOUR_MS,
    },
    {
      case: 'at speed 1 it keeps its offset',
      startMs: REAL_START_MS - HOUR_MS,
      speed: 1,
      elapsedMs: 5_000,
      expectedMs: REAL_START_MS - HOUR_MS + 5_000,
    },
    {
      case: 'it never passes the real now',
      startMs: REAL_START_MS - 10 * HOUR_MS,
      speed: 3600,
      elapsedMs: 20_000,
      expectedMs: REAL_START_MS + 20_000,
    },
    {
      case: 'exactly caught up it shows the real now',
      startMs: REAL_START_MS - 3599 * 1_000,
      speed: 3600,
      elapsedMs: 1_000,
      expectedMs: REAL_START_MS + 1_000,
    },
    {
      case: 'a start in the future is capped at the real now',
      startMs: REAL_START_MS + HOUR_MS,
      speed: 1,
      elapsedMs: 0,
      expectedMs: REAL_START_MS,
    },
    {
      case: 'a real clock stepping back does not run it backwards past its start',
      startMs: REAL_START_MS - HOUR_MS,
      speed: 60,
      elapsedMs: -1_000,
      expectedMs: REAL_START_MS - HOUR_MS,
    },
  ])('$case', ({ startMs, speed, elapsedMs, expectedMs }) => {
    const clock = createSimClock({ startMs, speed }, REAL_START_MS);
    expect(clock.now(REAL_START_MS + elapsedMs)).toBe(expectedMs);
    expect(simulatedNowMs({ startMs, speed, realStartMs: REAL_START_MS }, REAL_START_MS + elapsedMs)).toBe(expectedMs);
  });

  test('once caught up it runs at 1×', () => {
    const clock = createSimClock({ startMs: REAL_START_MS - HOUR_MS, speed: 3600 }, REAL_START_MS);
    const caughtUpMs = clock.now(REAL_START_MS + 2_000);
    expect(clock.now(REAL_START_MS + 7_000) - caughtUpMs).toBe(5_000);
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('a speed of %s is refused', (speed) => {
    expect(() => createSimClock({ startMs: REAL_START_MS, speed }, REAL_START_MS)).toThrow(RangeError);
  });
});
