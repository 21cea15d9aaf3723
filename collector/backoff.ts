/** The first wait after a failed store write or spool replay. */
export const RETRY_MIN_MS = 100;
/** The longest: a store that is back is written to within this. */
export const RETRY_MAX_MS = 5_000;

/**
 * Exponential backoff, doubling from `minMs` to `maxMs`: how long to wait before trying a store
 * again. Pure: it counts, it does not wait.
 */
export class Backoff {
  #delayMs: number;

  constructor(
    readonly minMs = RETRY_MIN_MS,
    readonly maxMs = RETRY_MAX_MS,
  ) {
    this.#delayMs = minMs;
  }

  /** The wait the next failure will get. */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** After a failure: the wait before trying again; the one after it is twice as long, up to `maxMs`. */
  next(): number {
    const delayMs = this.#delayMs;
    this.#delayMs = Math.min(delayMs * 2, this.maxMs);
    return delayMs;
  }

  /** After a success: the next failure waits `minMs` again. */
  reset(): void {
    this.#delayMs = this.minMs;
  }
}
