import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, without starting the test process with --expose-gc: V8 lets the
 * flag be set at run time, and a fresh context then sees `gc`.
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const MIB = 1024 * 1024;

export interface MemorySample {
  rssMiB: number;
  heapMiB: number;
}

/** Memory of this process (broker and test alike) after a full collection, in MiB. */
export function settledMemory(): MemorySample {
  collectGarbage();
  collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMiB: rss / MIB, heapMiB: heapUsed / MIB };
}

/** Samples RSS and heap every `intervalMs` until stopped; returns the peaks. */
export function watchPeak(intervalMs = 5): { stop(): MemorySample } {
  const peak = { rssMiB: 0, heapMiB: 0 };
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    peak.rssMiB = Math.max(peak.rssMiB, rss / MIB);
    peak.heapMiB = Math.max(peak.heapMiB, heapUsed / MIB);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
