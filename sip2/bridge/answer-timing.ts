import { constants, createHistogram, PerformanceObserver, type RecordableHistogram } from 'node:perf_hooks';

/**
 * What the bridge's own process adds to an answer, for diagnosis: the time from the library
 * system's bytes being handed to the bridge (its `data` event) to their write to the machine's
 * socket, and the garbage collector's pauses. It sees only the bridge's side; what a reader
 * experiences is measured end to end by `npm run bench:sip2`. No event loop delay monitor: it is
 * a timer, and at any useful resolution it would wake the bridge 100 times a second (measured).
 */
export interface AnswerTimingSummary {
  /** Whole messages from the library system forwarded. */
  answers: number;
  answerPathP50Us: number;
  answerPathP99Us: number;
  answerPathMaxUs: number;
  gcPauses: number;
  gcPauseMaxUs: number;
  gcPauseTotalMs: number;
  /** Of them, full (mark-compact) collections: the long ones, which a larger young generation does not avoid. */
  gcMajorPauses: number;
  /** Pauses after the first answer was forwarded (start-up's own collections left out), and their longest. */
  gcPausesWhileServing: number;
  gcPauseWhileServingMaxUs: number;
}

export interface AnswerTiming {
  /** Records one answer's time in the bridge, from its read (`process.hrtime.bigint()`) to its write. */
  recordSince(startedNs: bigint): void;
  summary(): AnswerTimingSummary;
  stop(): void;
}

const us = (ns: number) => Math.round(ns / 1_000);

export function createAnswerTiming(): AnswerTiming {
  const answerPath: RecordableHistogram = createHistogram();
  let gcPauses = 0;
  let gcPauseMaxMs = 0;
  let gcPauseTotalMs = 0;
  let gcMajorPauses = 0;
  let isServing = false;
  let gcPausesWhileServing = 0;
  let gcPauseWhileServingMaxMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauses++;
      gcPauseTotalMs += entry.duration;
      gcPauseMaxMs = Math.max(gcPauseMaxMs, entry.duration);
      const { detail } = entry as { detail?: { kind?: number } };
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcMajorPauses++;
      if (isServing) {
        gcPausesWhileServing++;
        gcPauseWhileServingMaxMs = Math.max(gcPauseWhileServingMaxMs, entry.duration);
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const percentileUs = (h: { count: number; percentile(p: number): number }, p: number) =>
    h.count === 0 ? 0 : us(h.percentile(p));

  return {
    recordSince(startedNs: bigint): void {
      isServing = true;
      // A histogram takes integers of at least 1.
      answerPath.record(Math.max(1, Number(process.hrtime.bigint() - startedNs)));
    },
    summary: () => ({
      answers: answerPath.count,
      answerPathP50Us: percentileUs(answerPath, 50),
      answerPathP99Us: percentileUs(answerPath, 99),
      answerPathMaxUs: answerPath.count === 0 ? 0 : us(answerPath.max),
      gcPauses,
      gcPauseMaxUs: Math.round(gcPauseMaxMs * 1_000),
      gcPauseTotalMs: Math.round(gcPauseTotalMs),
      gcMajorPauses,
      gcPausesWhileServing,
      gcPauseWhileServingMaxUs: Math.round(gcPauseWhileServingMaxMs * 1_000),
    }),
    stop(): void {
      gcObserver.disconnect();
    },
  };
}
