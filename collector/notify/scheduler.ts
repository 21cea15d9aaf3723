/**
 * The notifiers' clock: what time it is, and a call at a later time. Pacing and retries run on
 * it, so tests move a manual one through minutes without waiting them out.
 */
export interface Scheduler {
  now(): number;
  /** Calls `run` once at `atMs` (at once if that passed); the answer cancels it. */
  at(atMs: number, run: () => void): () => void;
}

/** The real clock; its timers never keep the process alive. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  at(atMs, run) {
    const timer = setTimeout(run, Math.max(0, atMs - Date.now()));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
