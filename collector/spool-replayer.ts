import type { Logger } from 'pino';
import { Backoff } from './backoff.js';
import type { AppendResult, EventRecord, EventStore } from './store/event-store.js';
import type { Spool } from './store/spool.js';

export interface SpoolReplayerOptions {
  spool: Spool;
  store: Pick<EventStore, 'append'>;
  /** Most events replayed in one store transaction. */
  maxBatchEvents: number;
  logger: Logger;
  /** A spooled batch reached the store (acked already, when it was spooled). */
  onReplayed(records: readonly EventRecord[], result: AppendResult): void;
  /** The store refused a replay; it is tried again after a backoff. */
  onFailure(error: Error): void;
}

/**
 * Replays the spool into the store, oldest batch first, so the store receives every machine's
 * events in the order they arrived; when the store fails, again after a backoff of its own.
 */
export class SpoolReplayer {
  readonly #backoff = new Backoff();
  #isReplaying = false;
  #isStopped = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SpoolReplayerOptions) {}

  /** Whether batches wait in the spool: new events then go behind them, not to the store. */
  hasBacklog(): boolean {
    return this.options.spool.stats().batches > 0;
  }

  /** What a previous run spooled (a crash, a stop during an outage) goes to the store first. */
  start(): void {
    this.#schedule(0);
  }

  /** A batch was just spooled: replay it once the current backoff has passed. */
  wake(): void {
    this.#schedule(this.#backoff.delayMs);
  }

  stop(): void {
    this.#isStopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(delayMs: number): void {
    if (this.#isStopped || this.#isReplaying || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#replay();
    }, delayMs);
  }

  async #replay(): Promise<void> {
    const { spool, store, maxBatchEvents, logger } = this.options;
    if (this.#isStopped || this.#isReplaying) return;
    this.#isReplaying = true;
    try {
      for (let batch = spool.peek(maxBatchEvents); batch && !this.#isStopped; batch = spool.peek(maxBatchEvents)) {
        const result = await store.append(batch.records);
        spool.remove(batch.seqs);
        this.options.onReplayed(batch.records, result);
        this.#backoff.reset();
      }
      if (spool.stats().batches === 0) logger.info('spool drained into the store');
    } catch (error) {
      this.options.onFailure(error as Error);
      const retryInMs = this.#backoff.next();
      logger.warn({ err: error, retryInMs, spooled: spool.stats().depthEvents }, 'spool replay failed; will retry');
      this.#isReplaying = false;
      this.#schedule(retryInMs);
      return;
    }
    this.#isReplaying = false;
  }
}
