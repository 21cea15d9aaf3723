import { randomUUID } from 'node:crypto';
import { type PlatformEvent, platformEventSchema } from '../domain/platform-events.js';
import type { EventRecord } from '../store/event-store.js';

type WithoutIdTs<E> = E extends PlatformEvent ? Omit<E, 'id' | 'ts'> : never;
export type PlatformEventBody = WithoutIdTs<PlatformEvent>;

/**
 * A platform event as the store keeps it, checked against its schema (a bug here must not write
 * a malformed event into the history). `id` defaults to the type and a random UUID; give one to
 * make the recording idempotent (an escalation step, say).
 */
export function platformRecord(
  kioskId: string,
  body: PlatformEventBody,
  options: { atMs: number; nowMs: number; id?: string },
): EventRecord {
  const id = options.id ?? `${body.type}-${randomUUID()}`;
  const event = platformEventSchema.parse({ id, ts: new Date(options.atMs).toISOString(), ...body });
  return {
    id,
    kioskId,
    type: event.type,
    ts: event.ts,
    tsMs: options.atMs,
    receivedMs: options.nowMs,
    data: event as Record<string, unknown>,
  };
}
