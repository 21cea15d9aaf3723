import type { Logger } from 'pino';

export type Stop = () => Promise<void> | void;

/** What a stage hands back besides its parts: one way to stop all it started, which never throws. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Stops in the reverse of the order things were started, so what is buffered is flushed before
 * what it flows into closes. A stop that fails is logged and the rest still run: a half-stopped
 * platform would hold the data directory's lock.
 */
export class Stops implements Stoppable {
  readonly #stops: Stop[] = [];

  constructor(private readonly logger: Logger) {}

  /** Runs `stop` when the whole is stopped, before whatever was deferred earlier. */
  defer(stop: Stop): void {
    this.#stops.push(stop);
  }

  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.logger.error({ err: error }, 'error while stopping');
      }
    }
  }
}

/**
 * Builds one stage with its own stops: if building fails half-way, what the stage had started is
 * stopped before the error goes on, so a caller only ever stops stages that were built whole.
 */
export async function buildStage<T extends object>(
  logger: Logger,
  build: (stops: Stops) => Promise<T> | T,
): Promise<T & Stoppable> {
  const stops = new Stops(logger);
  try {
    const parts = await build(stops);
    return Object.assign(parts, { stop: () => stops.stop() });
  } catch (error) {
    await stops.stop();
    throw error;
  }
}
