import Database from 'better-sqlite3';
import type { KioskEvent } from '../protocol/events.js';
import { ensurePrivateFile } from '../config/private-files.js';
import type { KioskId } from '../protocol/topics.js';
import { startOutboxCheckpointer } from './outbox-checkpointer.js';

/**
 * A machine's on-disk outbox: every event stays here until the collector's ack says it is durably
 * stored (MQTT PUBACK is not enough: a broker may acknowledge before routing). One SQLite file may
 * hold several machines (a simulated fleet, the machines behind one SIP2 bridge), and with each
 * machine an opaque progress record written in the same transaction as its events, so a killed
 * process neither loses nor regenerates what it had produced.
 */
export interface OutboxEntry {
  event: KioskEvent;
  /** When it was last published, epoch ms; undefined if not sent since added or since a reconnect. */
  sentMs: number | undefined;
}

export interface Outbox {
  /**
   * Adds events (and, atomically, the machine's progress); an id already present is ignored.
   * `sentMs` marks them sent at that time, for a caller that publishes them right away.
   * Returns how many were new.
   */
  add(kioskId: KioskId, events: readonly KioskEvent[], progress?: unknown, sentMs?: number): number;
  /** Oldest first: events never sent, or (when `olderThanSentMs` is given) sent before it. */
  pending(kioskId: KioskId, limit: number, olderThanSentMs?: number): OutboxEntry[];
  markSent(ids: readonly string[], atMs: number): void;
  /** After a reconnect every pending event is due again. */
  markUnsent(kioskId: KioskId): void;
  /** Drops acked (stored or rejected) events; returns how many were present. */
  remove(ids: readonly string[]): number;
  count(kioskId?: KioskId): number;
  /** The progress last saved with `add` or `saveProgress`, parsed from JSON. */
  loadProgress(kioskId: KioskId): unknown;
  saveProgress(kioskId: KioskId, progress: unknown): void;
  close(): void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kiosk_id TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    sent_ms INTEGER
  );
  CREATE INDEX IF NOT EXISTS outbox_by_kiosk ON outbox (kiosk_id, seq);
  CREATE TABLE IF NOT EXISTS progress (kiosk_id TEXT PRIMARY KEY, state TEXT NOT NULL);
`;

interface Row {
  payload: string;
  sent_ms: number | null;
}

export interface OutboxOptions {
  /**
   * The most the file may grow to; past it `add` throws (SQLITE_FULL), as on a full disk. The
   * SIP2 bridge caps its outbox so that a platform gone for weeks cannot fill the machine's disk.
   */
  maxBytes?: number;
  /**
   * How often the write-ahead log is copied into the file, from a thread of its own (see
   * outbox-checkpointer.ts). Default 1 s.
   */
  checkpointEveryMs?: number;
}

/** SQLite's own automatic checkpoint threshold, in pages: what the outbox falls back to. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/** Opens (creating if needed) the outbox file. */
export function openOutbox(filePath: string, options: OutboxOptions = {}): Outbox {
  ensurePrivateFile(filePath);
  const db = new Database(filePath);
  db.pragma('journal_mode = WAL');
  // In WAL mode NORMAL loses nothing when the process is killed, only on power loss.
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  // Checkpoints run in a thread of their own, never inside a commit a reader's loan waits on.
  db.pragma('wal_autocheckpoint = 0');
  const checkpointer = startOutboxCheckpointer(filePath, options.checkpointEveryMs ?? 1_000, () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  });
  if (options.maxBytes !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    // SQLite keeps the limit at least the current size: a smaller cap means "no growth".
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
  }

  const insert = db.prepare('INSERT OR IGNORE INTO outbox (kiosk_id, event_id, payload, sent_ms) VALUES (?, ?, ?, ?)');
  const upsertProgress = db.prepare(
    'INSERT INTO progress (kiosk_id, state) VALUES (?, ?) ON CONFLICT (kiosk_id) DO UPDATE SET state = excluded.state',
  );
  const selectDue = db.prepare<[string, number, number], Row>(
    'SELECT payload, sent_ms FROM outbox WHERE kiosk_id = ? AND (sent_ms IS NULL OR sent_ms < ?) ORDER BY seq LIMIT ?',
  );
  const setSent = db.prepare('UPDATE outbox SET sent_ms = ? WHERE event_id = ?');
  const deleteOne = db.prepare('DELETE FROM outbox WHERE event_id = ?');

  const addInTransaction = db.transaction(
    (kioskId: KioskId, events: readonly KioskEvent[], progress: unknown, sentMs: number | null) => {
      let added = 0;
      for (const event of events) added += insert.run(kioskId, event.id, JSON.stringify(event), sentMs).changes;
      if (progress !== undefined) upsertProgress.run(kioskId, JSON.stringify(progress));
      return added;
    },
  );
  /** One event alone is one statement, its own transaction: no BEGIN and COMMIT to run around it. */
  const add = (kioskId: KioskId, events: readonly KioskEvent[], progress: unknown, sentMs: number | null) =>
    events.length === 1 && progress === undefined
      ? insert.run(kioskId, events[0]!.id, JSON.stringify(events[0]), sentMs).changes
      : addInTransaction(kioskId, events, progress, sentMs);
  const markSent = db.transaction((ids: readonly string[], atMs: number) => {
    for (const id of ids) setSent.run(atMs, id);
  });
  const remove = db.transaction((ids: readonly string[]) => ids.reduce((removed, id) => removed + deleteOne.run(id).changes, 0));

  return Object.freeze({
    add: (kioskId: KioskId, events: readonly KioskEvent[], progress?: unknown, sentMs?: number) =>
      add(kioskId, events, progress, sentMs ?? null),
    pending(kioskId: KioskId, limit: number, olderThanSentMs = Number.POSITIVE_INFINITY): OutboxEntry[] {
      // SQLite has no infinity for integers: the largest double works as "any sent time".
      const threshold = Number.isFinite(olderThanSentMs) ? olderThanSentMs : Number.MAX_VALUE;
      return selectDue.all(kioskId, threshold, limit).map((row) => ({
        event: JSON.parse(row.payload) as KioskEvent,
        sentMs: row.sent_ms ?? undefined,
      }));
    },
    markSent: (ids: readonly string[], atMs: number) => markSent(ids, atMs),
    markUnsent: (kioskId: KioskId) => void db.prepare('UPDATE outbox SET sent_ms = NULL WHERE kiosk_id = ?').run(kioskId),
    remove: (ids: readonly string[]) => remove(ids),
    count(kioskId?: KioskId): number {
      const row = (
        kioskId === undefined
          ? db.prepare('SELECT COUNT(*) AS n FROM outbox').get()
          : db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE kiosk_id = ?').get(kioskId)
      ) as { n: number };
      return row.n;
    },
    loadProgress(kioskId: KioskId): unknown {
      const row = db.prepare('SELECT state FROM progress WHERE kiosk_id = ?').get(kioskId) as { state: string } | undefined;
      return row === undefined ? undefined : JSON.parse(row.state);
    },
    saveProgress: (kioskId: KioskId, progress: unknown) => void upsertProgress.run(kioskId, JSON.stringify(progress)),
    close() {
      checkpointer.stop();
      db.close();
    },
  });
}
