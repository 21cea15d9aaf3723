import Database from 'better-sqlite3';
import type { AppendResult, EventRecord, EventStore } from '../../collector/store/event-store.js';
import { KIOSK_EVENT_TYPES } from '../../protocol/events.js';

const isMachineEvent = (type: string) => (KIOSK_EVENT_TYPES as readonly string[]).includes(type);

const push = (map: Map<string, string[]>, key: string, value: string) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

/** What a store was asked to append, call by call, and what it answered. */
export interface AppendLog {
  /** Per machine: ids of machine events stored for the first time, in the order they were stored. */
  inserted: Map<string, string[]>;
  /** Machine events the store was asked to append (a redelivered one counted each time). */
  askedMachineEvents: number;
  /** Records of every kind the store answered as new, and as already stored. */
  insertedAll: number;
  duplicatesAll: number;
}

/**
 * A store decorator keeping the order of appends: what the collector asked the store to append,
 * per machine, in order. The store itself is untouched; reads pass through.
 */
export function recordAppends(store: EventStore): { store: EventStore; log: AppendLog } {
  const log: AppendLog = { inserted: new Map(), askedMachineEvents: 0, insertedAll: 0, duplicatesAll: 0 };
  const recording: EventStore = Object.create(store) as EventStore;
  recording.append = async (records: readonly EventRecord[]): Promise<AppendResult> => {
    const result = await store.append(records);
    const inserted = new Set(result.inserted);
    for (const r of records) {
      if (!isMachineEvent(r.type)) continue;
      log.askedMachineEvents += 1;
      // A batch may hold the same id twice: only the first was stored.
      if (inserted.delete(r.id)) push(log.inserted, r.kioskId, r.id);
    }
    log.insertedAll += result.inserted.length;
    log.duplicatesAll += result.duplicates.length;
    return result;
  };
  return { store: recording, log };
}

/**
 * Per machine, the machine events of a SQLite event store file in the order they were first
 * stored: the table's rowid grows with every insert and nothing is ever deleted. For a store
 * written by another process, where no decorator can watch.
 */
export function sqliteInsertOrder(file: string): Map<string, string[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const order = new Map<string, string[]>();
    const rows = db.prepare('SELECT id, kiosk_id AS kioskId, type FROM events ORDER BY rowid').iterate() as Iterable<{
      id: string;
      kioskId: string;
      type: string;
    }>;
    for (const row of rows) if (isMachineEvent(row.type)) push(order, row.kioskId, row.id);
    return order;
  } finally {
    db.close();
  }
}

/** True when `sub` can be read out of `seq` in order, skipping some of `seq`. */
export function isSubsequence(sub: readonly string[], seq: readonly string[]): boolean {
  let i = 0;
  for (const item of seq) if (i < sub.length && item === sub[i]) i++;
  return i === sub.length;
}

export interface DeliveryVerdict {
  /** Machine events sent (distinct ids) and stored. */
  sent: number;
  stored: number;
  /** Sent, never stored. */
  missing: string[];
  /** Stored, never sent by that machine. */
  unexpected: string[];
  /**
   * Machines whose events were stored in an order they did not send them in: the order of first
   * stores, per machine, must be read out of the machine's send log in order. (Messages lost on
   * the way and sent again are skipped in the log; nothing may overtake what it was sent after.)
   */
  machinesOutOfOrder: { kioskId: string; firstStored: string[] }[];
  /** Sent, never acked to the machine as stored (empty unless acks are given). */
  unacked: string[];
  /** Acked as stored, yet not in the store. */
  ackedNotStored: string[];
}

/**
 * Compares what each machine sent (its send log, resends included) with what the store received
 * for it (the order of first stores) and, when given, with what was acked back to it.
 */
export function deliveryVerdict(options: {
  sent: ReadonlyMap<string, readonly string[]>;
  inserted: ReadonlyMap<string, readonly string[]>;
  acked?: ReadonlyMap<string, readonly string[]>;
}): DeliveryVerdict {
  const sentBy = new Map<string, string>();
  for (const [kioskId, ids] of options.sent) for (const id of ids) sentBy.set(id, kioskId);
  const storedBy = new Map<string, string>();
  for (const [kioskId, ids] of options.inserted) for (const id of ids) storedBy.set(id, kioskId);
  const ackedIds = new Set([...(options.acked?.values() ?? [])].flat());
  return {
    sent: sentBy.size,
    stored: [...options.inserted.values()].reduce((sum, ids) => sum + ids.length, 0),
    missing: [...sentBy.keys()].filter((id) => !storedBy.has(id)),
    unexpected: [...storedBy].filter(([id, kioskId]) => sentBy.get(id) !== kioskId).map(([id]) => id),
    machinesOutOfOrder: [...options.inserted]
      .filter(([kioskId, ids]) => !isSubsequence(ids, options.sent.get(kioskId) ?? []))
      .map(([kioskId, ids]) => ({ kioskId, firstStored: ids.slice(0, 20) })),
    unacked: options.acked ? [...sentBy.keys()].filter((id) => !ackedIds.has(id)) : [],
    ackedNotStored: [...ackedIds].filter((id) => !storedBy.has(id)),
  };
}
