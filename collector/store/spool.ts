import Database from 'better-sqlite3';
import { ensurePrivateFile } from '../../config/private-files.js';
import type { EventRecord } from './event-store.js';

/**
 * The collector's durable local spool: where a batch of events goes when the store cannot take
 * it, so the machines can be acked anyway. A small SQLite file with `synchronous = FULL`: once
 * `put` returns, the batch is fsynced and survives a crash or a power loss. Batches come back out
 * in the order they went in; the drain appends them to the store (appends are idempotent on the
 * event id, so a crash between the append and `remove` only stores nothing twice).
 */
export interface Spool {
  /** Keeps a batch durably; false (and nothing kept) when it would exceed the size quota. */
  put(records: readonly EventRecord[]): boolean;
  /** The oldest batches (at least one, then more while under `maxEvents`), undefined when empty. */
  peek(maxEvents: number): SpooledBatch | undefined;
  /** Forgets batches once the store holds them. */
  remove(seqs: readonly number[]): void;
  stats(): SpoolStats;
  close(): void;
}

export interface SpooledBatch {
  seqs: number[];
  records: EventRecord[];
}

export interface SpoolStats {
  /** Events waiting in the spool. */
  depthEvents: number;
  batches: number;
  bytes: number;
  maxBytes: number;
  /** Batches (and their events) refused by the quota since start: they were not acked. */
  droppedBatches: number;
  droppedEvents: number;
}

export interface SpoolOptions {
  file: string;
  /** Largest total payload kept, in bytes (the JSON of the batches). */
  maxBytes: number;
}

export function openSpool(options: SpoolOptions): Spool {
  ensurePrivateFile(options.file);
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    events INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    body TEXT NOT NULL
  )`);
  const insert = db.prepare<[number, number, string]>('INSERT INTO spool (events, bytes, body) VALUES (?, ?, ?)');
  const oldest = db.prepare<[], { seq: number; events: number; body: string }>(
    'SELECT seq, events, body FROM spool ORDER BY seq',
  );
  const sizeOf = db.prepare<[number], { events: number; bytes: number }>('SELECT events, bytes FROM spool WHERE seq = ?');
  const removeOne = db.prepare<[number]>('DELETE FROM spool WHERE seq = ?');
  const totals = db
    .prepare<[], { batches: number; events: number | null; bytes: number | null }>(
      'SELECT COUNT(*) AS batches, SUM(events) AS events, SUM(bytes) AS bytes FROM spool',
    )
    .get();
  const state = { batches: totals?.batches ?? 0, events: totals?.events ?? 0, bytes: totals?.bytes ?? 0 };
  const dropped = { batches: 0, events: 0 };
  const sizes = new Map<number, { events: number; bytes: number }>();
  let isClosed = false;
  const removeMany = db.transaction((seqs: readonly number[]) => {
    for (const seq of seqs) {
      const size = sizes.get(seq) ?? sizeOf.get(seq);
      if (removeOne.run(seq).changes === 0) continue;
      sizes.delete(seq);
      state.batches -= 1;
      state.events -= size?.events ?? 0;
      state.bytes -= size?.bytes ?? 0;
    }
  });

  return {
    put(records) {
      const body = JSON.stringify(records);
      const bytes = Buffer.byteLength(body);
      if (isClosed || state.bytes + bytes > options.maxBytes) {
        dropped.batches += 1;
        dropped.events += records.length;
        return false;
      }
      const seq = Number(insert.run(records.length, bytes, body).lastInsertRowid);
      sizes.set(seq, { events: records.length, bytes });
      state.batches += 1;
      state.events += records.length;
      state.bytes += bytes;
      return true;
    },
    peek(maxEvents) {
      if (isClosed) return undefined;
      const seqs: number[] = [];
      const records: EventRecord[] = [];
      for (const row of oldest.iterate()) {
        if (seqs.length > 0 && records.length + row.events > maxEvents) break;
        seqs.push(row.seq);
        records.push(...(JSON.parse(row.body) as EventRecord[]));
      }
      return seqs.length > 0 ? { seqs, records } : undefined;
    },
    remove: (seqs) => {
      if (isClosed) return;
      removeMany(seqs);
    },
    stats: () => ({
      depthEvents: state.events,
      batches: state.batches,
      bytes: state.bytes,
      maxBytes: options.maxBytes,
      droppedBatches: dropped.batches,
      droppedEvents: dropped.events,
    }),
    close() {
      if (isClosed) return;
      isClosed = true;
      db.close();
    },
  };
}
