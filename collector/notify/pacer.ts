/**
 * A channel's send budget: at most `perMinute` sends in any minute (a sliding window), and none
 * while the service said to wait. WeCom and DingTalk group robots take 20 messages a minute each;
 * DingTalk then refuses everything for 10 minutes (130101). The window is one second longer than a
 * minute so a clock a little ahead of ours at the service still sees at most 20.
 */
export class Pacer {
  static readonly WINDOW_MS = 61_000;
  private readonly sentAtMs: number[] = [];
  private blockedUntilMs = 0;

  constructor(
    private readonly perMinute: number | null,
    /** Sends made before this process started (from the outbox), so a restart does not burst. */
    earlierSendsMs: readonly number[] = [],
  ) {
    this.sentAtMs.push(...[...earlierSendsMs].sort((a, b) => a - b));
  }

  /** How long to wait before the next send; 0: now. */
  waitMs(nowMs: number): number {
    const blocked = Math.max(0, this.blockedUntilMs - nowMs);
    if (this.perMinute === null) return blocked;
    this.forget(nowMs);
    const windowWait =
      this.sentAtMs.length < this.perMinute ? 0 : this.sentAtMs[this.sentAtMs.length - this.perMinute]! + Pacer.WINDOW_MS - nowMs;
    return Math.max(blocked, windowWait);
  }

  /** Counts a request made now (accepted or not: the service counts what it receives). */
  record(nowMs: number): void {
    if (this.perMinute !== null) this.sentAtMs.push(nowMs);
  }

  /** No sends before `untilMs` (the service's own rate limit answered). */
  block(untilMs: number): void {
    this.blockedUntilMs = Math.max(this.blockedUntilMs, untilMs);
  }

  private forget(nowMs: number): void {
    while (this.sentAtMs.length > 0 && this.sentAtMs[0]! <= nowMs - Pacer.WINDOW_MS) this.sentAtMs.shift();
  }
}
