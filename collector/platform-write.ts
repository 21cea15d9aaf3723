import type { AppendResult, EventRecord, IdConflict } from './store/event-store.js';
import { StoreError } from './store/store-error.js';

/**
 * What a caller of `Ingest.recordPlatformEvents` may accept when the store cannot take its
 * records now. `spool` (the default): they go to the spool like machines' events and are stored,
 * in order, when the store is back. `fail`: the call throws instead, for a request whose answer is
 * read back from the live view (a reservation's new state, an acknowledged alert), which a spooled
 * record reaches only once it is stored.
 */
export type IfStoreDown = 'spool' | 'fail';

export interface RecordPlatformOptions {
  ifStoreDown?: IfStoreDown;
}

/**
 * The answer to `recordPlatformEvents`. `inserted` names the ids this call is the first to record:
 * stored now, or spooled now (then also in `spooled`: durable on local disk, stored when the store
 * is back, and pushed to the live view then). `duplicates`: stored already, or waiting in the spool
 * already, so a caller that acts once per new record (sends an escalation, issues a notice) acts
 * once however often its check runs during an outage. `conflicts`: stored already with another
 * content.
 */
export interface PlatformWriteResult extends AppendResult {
  spooled: string[];
}

const inAny = (ids: ReadonlySet<string>, records: readonly EventRecord[]) => records.filter((r) => ids.has(r.id));

/**
 * One call's records on their way through the ingest's batches: the promise its caller awaits,
 * settled once the batch holding them was stored, spooled or refused. A request is never split
 * between batches, so it is settled once.
 */
export class PlatformRequest {
  readonly promise: Promise<PlatformWriteResult>;
  #resolve!: (result: PlatformWriteResult) => void;
  #reject!: (error: Error) => void;

  /**
   * @param records what goes to the store (ids waiting in the spool already left out)
   * @param waiting ids answered as duplicates without a write: they wait in the spool already
   */
  constructor(
    readonly records: readonly EventRecord[],
    readonly ifStoreDown: IfStoreDown,
    private readonly waiting: readonly string[] = [],
  ) {
    this.promise = new Promise<PlatformWriteResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** A call's request: its records, less those waiting in the spool already (`spooledIds`). */
  static of(records: readonly EventRecord[], ifStoreDown: IfStoreDown, spooledIds: ReadonlySet<string>): PlatformRequest {
    if (spooledIds.size === 0) return new PlatformRequest(records, ifStoreDown);
    const waiting = records.filter((r) => spooledIds.has(r.id)).map((r) => r.id);
    return new PlatformRequest(
      records.filter((r) => !spooledIds.has(r.id)),
      ifStoreDown,
      waiting,
    );
  }

  /** The batch holding these requests was appended: each learns what became of its records. */
  static answerStored(requests: readonly PlatformRequest[], result: AppendResult): void {
    if (requests.length === 0) return;
    const conflictsById = new Map(result.conflicts.map((c) => [c.id, c]));
    for (const request of requests) request.stored(result, conflictsById);
  }

  private stored(result: AppendResult, conflictsById: ReadonlyMap<string, IdConflict>): void {
    const inserted = new Set(result.inserted);
    const duplicates = new Set(result.duplicates);
    this.#resolve({
      inserted: inAny(inserted, this.records).map((r) => r.id),
      duplicates: [...this.waiting, ...inAny(duplicates, this.records).map((r) => r.id)],
      conflicts: this.records.flatMap((r) => conflictsById.get(r.id) ?? []),
      spooled: [],
    });
  }

  /** The batch holding the records was fsynced in the spool. */
  spooled(): void {
    const ids = this.records.map((r) => r.id);
    this.#resolve({ inserted: ids, duplicates: [...this.waiting], conflicts: [], spooled: ids });
  }

  /** Every id waited in the spool already: nothing to write. */
  answerWaiting(): Promise<PlatformWriteResult> {
    this.#resolve({ inserted: [], duplicates: [...this.waiting], conflicts: [], spooled: [] });
    return this.promise;
  }

  /** The store failed and the records may not (or could not) be spooled: the caller learns it. */
  refused(error: Error): void {
    this.#reject(error);
  }
}

/** Why a request was refused while the store was up: it would have had to wait behind the spool. */
export const storeCatchingUp = (reason: string) =>
  new StoreError('STORE_WRITE_FAILED', `the store cannot take platform records now: ${reason}`);

/**
 * The conflicts that are a machine's to hear of (dead-lettered, rejected in its ack): a platform
 * record's conflict is answered to its caller instead, as it was when the platform appended alone.
 */
export function conflictsOfMachines(conflicts: readonly IdConflict[], requests: readonly PlatformRequest[]): IdConflict[] {
  if (conflicts.length === 0) return [];
  const platformIds = new Set(requests.flatMap((r) => r.records.map((record) => record.id)));
  return conflicts.filter((c) => !platformIds.has(c.id));
}
