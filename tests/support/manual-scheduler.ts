import type { Scheduler } from '../../collector/notify/scheduler.js';

/**
 * A clock tests move by hand: `advance` runs every call due on the way, in time order, and waits
 * for `settle` (the sends they started) after each, so time never jumps while a send is under way.
 */
export class ManualScheduler implements Scheduler {
  private nowMs: number;
  private nextId = 0;
  private readonly calls = new Map<number, { atMs: number; run: () => void }>();

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  at(atMs: number, run: () => void): () => void {
    const id = this.nextId++;
    this.calls.set(id, { atMs, run });
    return () => this.calls.delete(id);
  }

  async advance(ms: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    const target = this.nowMs + ms;
    await settle();
    for (;;) {
      const due = [...this.calls.entries()]
        .filter(([, c]) => c.atMs <= target)
        .sort((a, b) => a[1].atMs - b[1].atMs || a[0] - b[0]);
      const first = due[0];
      if (!first) break;
      this.calls.delete(first[0]);
      this.nowMs = Math.max(this.nowMs, first[1].atMs);
      first[1].run();
      await settle();
    }
    this.nowMs = target;
    await settle();
  }
}
