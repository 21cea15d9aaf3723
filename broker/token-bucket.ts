/**
 * A token bucket: holds at most `burst` tokens and gains `ratePerWindow` of them every `windowMs`,
 * continuously. Pure but for the clock, which is passed in, so tests step time by hand.
 */
export interface TokenBucketSettings {
  /** Tokens added per window; the sustained rate. */
  ratePerWindow: number;
  windowMs: number;
  /** Largest number of tokens held: how much may be spent at once after a quiet spell. */
  burst: number;
}

export class TokenBucket {
  #tokens: number;
  #updatedMs: number;

  constructor(
    private readonly settings: TokenBucketSettings,
    nowMs: number,
  ) {
    this.#tokens = settings.burst;
    this.#updatedMs = nowMs;
  }

  /** Takes one token if there is one; false when the bucket is empty. */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True once the bucket is full again, so a keeper of many buckets may forget this one. */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.settings.burst;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#updatedMs);
    this.#updatedMs = Math.max(this.#updatedMs, nowMs);
    const { ratePerWindow, windowMs, burst } = this.settings;
    this.#tokens = Math.min(burst, this.#tokens + (elapsed * ratePerWindow) / windowMs);
  }
}

/**
 * One bucket per key (an address, a machine). Full buckets are forgotten on a sweep, so the map
 * holds only keys that spent something recently: a flood of one-off addresses cannot grow it for
 * longer than a refill takes.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, TokenBucket>();
  #lastSweepMs: number;

  constructor(
    private readonly settings: TokenBucketSettings,
    nowMs: number,
  ) {
    this.#lastSweepMs = nowMs;
  }

  take(key: string, nowMs: number): boolean {
    this.#sweep(nowMs);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.settings, nowMs);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(nowMs);
  }

  get size(): number {
    return this.#buckets.size;
  }

  #sweep(nowMs: number): void {
    if (nowMs - this.#lastSweepMs < this.settings.windowMs) return;
    this.#lastSweepMs = nowMs;
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(nowMs)) this.#buckets.delete(key);
  }
}
