import type { Spool, SpoolStats } from '../collector/store/spool.js';

/** The collector's spool as the health page reads it. */
export interface SpoolGauge {
  /** False when the platform keeps no spool (SPOOL_MAX_BYTES=0): the health page then omits it. */
  readonly isEnabled: boolean;
  stats(): SpoolStats;
}

/** The spool the platform keeps, or a gauge of none. */
export function spoolGaugeOf(spool: Spool | null): SpoolGauge {
  if (!spool) return NO_SPOOL;
  return { isEnabled: true, stats: () => spool.stats() };
}

const NO_SPOOL: SpoolGauge = Object.freeze({
  isEnabled: false,
  stats: (): SpoolStats => ({ depthEvents: 0, batches: 0, bytes: 0, maxBytes: 0, droppedEvents: 0, droppedBatches: 0 }),
});
