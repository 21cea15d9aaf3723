import type { Rejection } from '../broker/rejection.js';

/** A broker refusal with the moment it was made, so a buffered one is dead-lettered at its own time. */
export interface TimedRefusal {
  rejection: Rejection;
  atMs: number;
}

export type RefusalListener = (refusal: TimedRefusal) => void;

/**
 * Refusals that happen before anyone listens (the broker accepts connections before the
 * collector has started) wait here; at most this many, so a flood at start-up cannot grow the
 * heap. Refusals over it are counted (`droppedBeforeListener`).
 */
export const MAX_BUFFERED_REFUSALS = 1_000;

/**
 * From the broker's refusals to the dead-letter store. The broker starts first and pushes; the
 * collector subscribes once it runs and is handed what was buffered, in order, then each new one.
 * One listener at a time: the feed has one consumer, the dead-letter store.
 */
export class RefusalFeed {
  readonly #buffer: TimedRefusal[] = [];
  #listener: RefusalListener | null = null;
  #dropped = 0;

  constructor(
    private readonly now: () => number,
    private readonly maxBuffered = MAX_BUFFERED_REFUSALS,
  ) {}

  push(rejection: Rejection): void {
    const refusal = { rejection, atMs: this.now() };
    if (this.#listener) this.#listener(refusal);
    else if (this.#buffer.length < this.maxBuffered) this.#buffer.push(refusal);
    else this.#dropped += 1;
  }

  /** Hands over what was buffered, then every new refusal; the returned function unsubscribes. */
  subscribe(listener: RefusalListener): () => void {
    if (this.#listener) throw new Error('the refusal feed already has a listener');
    this.#listener = listener;
    for (const refusal of this.#buffer.splice(0)) listener(refusal);
    return () => {
      if (this.#listener === listener) this.#listener = null;
    };
  }

  /** Refusals lost because none listened and the buffer was full. */
  get droppedBeforeListener(): number {
    return this.#dropped;
  }
}
