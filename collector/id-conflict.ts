import { ID_CONFLICT } from './dead-letter-reason.js';
import { canonicalJson } from './store/event-identity.js';
import type { DeadLetterRecord, IdConflict } from './store/event-store.js';

/** Each version of the event kept in the dead letter, at most (the excerpt holds 1 KiB). */
const VERSION_CHARS = 480;

const bounded = (text: string) => (text.length > VERSION_CHARS ? `${text.slice(0, VERSION_CHARS - 1)}…` : text);

/** What an event is, for comparing by eye: its machine, type, time and body, canonically. */
const versionOf = (r: IdConflict['stored']) => canonicalJson({ kioskId: r.kioskId, type: r.type, ts: r.ts, data: r.data });

/**
 * The dead letter of an event refused because its id was taken by another: a genuine return sent
 * under a reused id would otherwise vanish as a "duplicate". Both versions, bounded.
 */
export function idConflictDeadLetter(conflict: IdConflict, topic: string, receivedMs: number): DeadLetterRecord {
  const { stored, refused } = conflict;
  return {
    receivedMs,
    topic,
    kioskId: refused.kioskId,
    reason: ID_CONFLICT,
    detail: `event id ${conflict.id} is stored already with another content (${stored.kioskId} ${stored.type} at ${stored.ts}); this one (${refused.kioskId} ${refused.type} at ${refused.ts}) was not stored`,
    payloadExcerpt: `{"stored":${bounded(versionOf(stored))},"refused":${bounded(versionOf(refused))}}`,
  };
}

/** What the machine is told in its ack's `rejected`, so it stops resending the event. */
export const idConflictAckReason = (conflict: IdConflict) =>
  `${ID_CONFLICT}: id ${conflict.id} is stored already with another content; change the id and send it again`.slice(0, 200);
