import type { EventAck } from '../protocol/index.js';
import type { DecodeRejection } from './decode.js';
import { idConflictAckReason } from './id-conflict.js';
import type { EventRecord, IdConflict } from './store/event-store.js';

/** What a batch answers its machines: the events it holds, and the events refused while decoding. */
export interface AckableBatch {
  /**
   * The machines' events, in arrival order: not their statuses (a machine does not keep those in
   * its outbox) nor the platform's records, which the ingest keeps apart (ingest-batch.ts).
   */
  readonly events: readonly EventRecord[];
  readonly rejectedByKiosk: ReadonlyMap<string, readonly DecodeRejection[]>;
}

/** The ack schema's longest reason (protocol/acks.ts). */
const MAX_REASON_CHARS = 200;

/**
 * One ack per machine of the batch, once it is durable: its events `stored`, except those whose id
 * the store holds with another content (`conflicts`), which are `rejected`, and the events refused
 * while decoding. Pure.
 */
export function acksOf(batch: AckableBatch, conflicts: readonly IdConflict[] = []): Map<string, EventAck> {
  const refused = new Map(conflicts.map((c) => [c.id, c]));
  const answered = new Set<string>();
  const acks = new Map<string, EventAck>();
  const ackFor = (kioskId: string) => {
    let ack = acks.get(kioskId);
    if (!ack) acks.set(kioskId, (ack = { stored: [], rejected: [] }));
    return ack;
  };
  for (const record of batch.events) {
    const conflict = refused.get(record.id);
    if (!conflict) {
      ackFor(record.kioskId).stored.push(record.id);
    } else if (!answered.has(record.id)) {
      // An id repeated in one batch (the first stored, the second refused) is answered once.
      answered.add(record.id);
      ackFor(record.kioskId).rejected.push({ id: record.id, reason: idConflictAckReason(conflict) });
    }
  }
  for (const [kioskId, rejections] of batch.rejectedByKiosk) {
    ackFor(kioskId).rejected.push(
      ...rejections.map((r) => ({ id: r.id!, reason: `${r.reason}: ${r.detail}`.slice(0, MAX_REASON_CHARS) })),
    );
  }
  return acks;
}
