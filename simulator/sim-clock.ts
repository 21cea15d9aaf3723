/**
 * The simulated clock: time runs `speed` times faster than real time from `startMs`, but never
 * past the real now. Once it has caught up it runs at 1×, so no event is ever stamped in the
 * future. Pure: real time is passed in.
 */
export interface SimClockOptions {
  /** Simulated instant at which the clock starts, epoch ms. */
  readonly startMs: number;
  /** Simulated milliseconds per real millisecond (1 = real time). */
  readonly speed: number;
}

export interface SimClock extends SimClockOptions {
  /** The real instant the clock was started, epoch ms. */
  readonly realStartMs: number;
  /** The simulated now for a real now, epoch ms. */
  now(realNowMs: number): number;
}

/** The simulated instant for a real instant; see {@link SimClock}. */
export function simulatedNowMs(clock: SimClockOptions & { realStartMs: number }, realNowMs: number): number {
  const realElapsedMs = Math.max(0, realNowMs - clock.realStartMs);
  return Math.min(realNowMs, clock.startMs + realElapsedMs * clock.speed);
}

/** Throws a RangeError for a speed that is not a positive finite number. */
export function createSimClock(options: SimClockOptions, realStartMs: number): SimClock {
  if (!(Number.isFinite(options.speed) && options.speed > 0)) {
    throw new RangeError(`sim clock speed must be a positive number, got ${options.speed}`);
  }
  if (!Number.isFinite(options.startMs)) throw new RangeError('sim clock startMs must be a finite epoch ms');
  const clock = { startMs: options.startMs, speed: options.speed, realStartMs };
  return Object.freeze({ ...clock, now: (realNowMs: number) => simulatedNowMs(clock, realNowMs) });
}
