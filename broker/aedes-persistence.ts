import type { Aedes } from 'aedes';
import type { OutgoingQueuePersistence } from './offline-queue.js';

/** What the embedded collector reads of aedes' persistence: retained messages, on subscribe. */
export interface RetainedSource {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer | string }>;
}

/** The part of aedes' persistence the platform uses. */
export type AedesPersistence = OutgoingQueuePersistence & RetainedSource;

const USED_METHODS = [
  'outgoingEnqueue',
  'outgoingEnqueueCombi',
  'outgoingClearMessageId',
  'createRetainedStreamCombi',
] as const satisfies readonly (keyof AedesPersistence)[];

/**
 * aedes' persistence, which its type declarations leave out (aedes 1.x has `broker.persistence`
 * at run time only). The one place that reaches into it: if an aedes upgrade moves or renames it,
 * this throws at start, naming what is missing, instead of the offline-queue bound or the
 * collector's retained replay failing later (tests/broker/aedes-persistence.test.ts checks it).
 */
export function persistenceOf(aedes: Aedes): AedesPersistence {
  const persistence = (aedes as unknown as { persistence?: Record<string, unknown> }).persistence;
  const missing = USED_METHODS.filter((name) => typeof persistence?.[name] !== 'function');
  if (!persistence || missing.length > 0)
    throw new Error(`aedes' persistence lacks ${missing.join(', ')}: this aedes version is not supported`);
  return persistence as unknown as AedesPersistence;
}
