import type { Logger } from 'pino';
import { type RetentionPolicy, retentionCutoffs } from './domain/retention-policy.js';
import type { SqliteEventStore } from './store/sqlite-event-store.js';

/** Hourly: raw telemetry is folded an hour at a time, so the raw table never holds much more than its days. */
const RETENTION_EVERY_MS = 3_600_000;

export interface RunningRetention {
  /** Runs retention now (also what the schedule calls); resolves with what it did. */
  runOnce(): ReturnType<SqliteEventStore['applyRetention']>;
  stop(): Promise<void>;
}

/**
 * Keeps the SQLite store's disk bounded: at start, then every hour, telemetry past its raw days is
 * folded into hourly means and what is past its days deleted (retention-policy.ts). InfluxDB keeps
 * its own retention (the bucket's), so this runs for SQLite only.
 */
export function startRetention(options: {
  store: SqliteEventStore;
  policy: RetentionPolicy;
  logger: Logger;
  now?: () => number;
  everyMs?: number;
}): RunningRetention {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'retention' });
  let running: Promise<unknown> = Promise.resolve();
  let isStopped = false;
  const runOnce = () => options.store.applyRetention(retentionCutoffs(options.policy, now()));
  const tick = () => {
    running = runOnce().then(
      (totals) => {
        if (Object.values(totals).some((n) => n > 0)) logger.info(totals, 'retention applied');
      },
      // Tried again at the next tick; a store that cannot write says so through its own health.
      (error: unknown) => logger.error({ err: error }, 'retention failed'),
    );
  };
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, options.everyMs ?? RETENTION_EVERY_MS);
  first.unref();
  timer.unref();
  return {
    runOnce,
    async stop() {
      if (isStopped) return;
      isStopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
