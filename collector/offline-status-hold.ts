import type { EventRecord } from './store/event-store.js';

export interface OfflineStatusHoldOptions {
  /** How long an offline status waits for the machine's next boot; 0 holds nothing. */
  holdMs: number;
  /** Called with each offline status whose hold ran out (or was released early): store it. */
  release: (record: EventRecord) => void;
  /** Called with each offline status discarded because another boot came online meanwhile. */
  onTakeover?: (record: EventRecord, byBootId: string | undefined) => void;
}

const bootIdOf = (record: EventRecord): string | undefined =>
  typeof record.data.bootId === 'string' ? record.data.bootId : undefined;

/** The offline status, moved to just before `onlineMs` when it is dated at or after it. */
function endingBefore(offline: EventRecord, onlineMs: number): EventRecord {
  if (offline.tsMs < onlineMs) return offline;
  const tsMs = onlineMs - 1;
  const ts = new Date(tsMs).toISOString();
  return { ...offline, tsMs, ts, data: { ...offline.data, ts } };
}

/**
 * Holds each machine's offline status for `holdMs` before it is stored. When a machine reconnects
 * with its client id while the broker still holds its old connection (a reboot behind a link gone
 * half-open), the broker closes the old connection [MQTT-3.1.4-2] and publishes its Last Will
 * [MQTT-3.1.2-8] just before the new boot's online status arrives. Stored, that Will would mark a
 * machine that never stopped being reachable offline for a moment, open an alert and notify
 * crews. An online status of another boot arriving within the hold discards it; one of the same
 * boot (a reconnect after a real drop) releases it at once, ahead of itself.
 */
export class OfflineStatusHold {
  private readonly held = new Map<string, { record: EventRecord; timer: NodeJS.Timeout }>();

  constructor(private readonly options: OfflineStatusHoldOptions) {}

  /** Takes a status record; true when it is held (the caller must not store it now). */
  offer(record: EventRecord): boolean {
    if (this.options.holdMs <= 0) return false;
    const held = this.held.get(record.kioskId);
    if (record.data.state === 'online') {
      if (held && bootIdOf(held.record) !== bootIdOf(record)) {
        this.forget(record.kioskId);
        this.options.onTakeover?.(held.record, bootIdOf(record));
      } else if (held) {
        // The same boot reconnecting: its offline spell was real, and goes in before its online,
        // dated no later than it. A Will is dated by its arrival, which can follow the moment the
        // machine stamped its new online status (the broker noticed the dropped link late).
        this.forget(record.kioskId);
        this.options.release(endingBefore(held.record, record.tsMs));
      }
      return false;
    }
    if (record.data.state !== 'offline') return false;
    if (held) this.releaseOne(record.kioskId); // an earlier offline keeps its place in the order
    const timer = setTimeout(() => this.releaseOne(record.kioskId), this.options.holdMs);
    timer.unref();
    this.held.set(record.kioskId, { record, timer });
    return true;
  }

  /** Stores every held status now (a stop): none is lost to a shutdown. */
  releaseAll(): void {
    for (const kioskId of [...this.held.keys()]) this.releaseOne(kioskId);
  }

  private releaseOne(kioskId: string): void {
    const held = this.forget(kioskId);
    if (held) this.options.release(held);
  }

  private forget(kioskId: string): EventRecord | undefined {
    const held = this.held.get(kioskId);
    if (!held) return undefined;
    clearTimeout(held.timer);
    this.held.delete(kioskId);
    return held.record;
  }
}
