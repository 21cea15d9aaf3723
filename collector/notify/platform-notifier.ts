import type { Logger } from 'pino';
import {
  initialPlatformWatch,
  observePlatform,
  type PlatformNotice,
  type PlatformNoticePolicy,
  type PlatformSample,
} from '../domain/platform-notices.js';

export interface PlatformNotifierOptions {
  /** The platform's health now: components as the health route reports them, and the drop counters. */
  sample: () => Omit<PlatformSample, 'atMs'>;
  policy: PlatformNoticePolicy;
  sampleIntervalMs: number;
  /** Each receives every look's notices (the dispatcher, the dashboard's socket). */
  listeners: readonly ((notices: PlatformNotice[]) => void)[];
  logger: Logger;
  now?: () => number;
}

export interface RunningPlatformNotifier {
  /** Looks at the health now (the timer does it every `sampleIntervalMs`). */
  check(): PlatformNotice[];
  stop(): void;
}

/** Looks at the platform's health every few seconds and hands what changed to its listeners. */
export function startPlatformNotifier(options: PlatformNotifierOptions): RunningPlatformNotifier {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'platform-notices' });
  let state = initialPlatformWatch();
  const check = (): PlatformNotice[] => {
    const observed = observePlatform(state, { ...options.sample(), atMs: now() }, options.policy);
    state = observed.state;
    for (const notice of observed.notices) logger.info({ notice }, 'platform notice');
    if (observed.notices.length > 0) for (const listener of options.listeners) listener(observed.notices);
    return observed.notices;
  };
  const timer = setInterval(() => {
    try {
      check();
    } catch (error) {
      // A failing look must not stop the next one: the watcher is how trouble gets told.
      logger.error({ err: error }, 'cannot look at the platform health');
    }
  }, options.sampleIntervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
