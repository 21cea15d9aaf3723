import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrateSchema, type Migration } from '../../config/sqlite-migrations.js';
import {
  type AlertDelivery,
  type NewOutboxEntry,
  type NotificationOutbox,
  type OutboxDepth,
  type OutboxEntry,
  type OutboxEntryId,
  type OutboxListQuery,
  OUTBOX_STATES,
} from './notification-outbox.js';
import { type AlertDeliveryRow, alertDeliveryOf, type OutboxRow, outboxEntryOf } from './outbox-row.js';

const MIGRATIONS: readonly Migration[] = [
  (db) =>
    db.exec(`
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        group_key TEXT,
        message TEXT NOT NULL,
        state TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        due_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        done_ms INTEGER,
        done_by TEXT,
        merged_into INTEGER
      ) STRICT;
      CREATE INDEX outbox_by_channel ON outbox (channel, state, created_ms, id);
      CREATE INDEX outbox_done ON outbox (done_ms) WHERE done_ms IS NOT NULL;
      CREATE TABLE outbox_alerts (
        alert_id TEXT NOT NULL,
        entry_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        step INTEGER,
        PRIMARY KEY (alert_id, entry_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX outbox_alerts_by_entry ON outbox_alerts (entry_id);
      CREATE TABLE outbox_notice_keys (
        channel TEXT NOT NULL,
        notice_key TEXT NOT NULL,
        entry_id INTEGER NOT NULL,
        PRIMARY KEY (channel, notice_key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX outbox_notice_keys_by_entry ON outbox_notice_keys (entry_id);
      CREATE TABLE outbox_lease (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_ms INTEGER NOT NULL
      ) STRICT;
    `),
  // 2: per-message claims, so a message is sent by one node and taken over after its lease.
  (db) =>
    db.exec(`
      ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
      ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
    `),
];

type Row = OutboxRow;
const entryOf = outboxEntryOf;

/** Only its owner reads it: messages carry machine names and people's names. */
function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

export interface SqliteOutboxOptions {
  /** `DATA_DIR/notifications.sqlite`, or `:memory:`. */
  file: string;
}

const LEASE = 'sender';
const OPEN = `('pending', 'sending', 'held')`;

/**
 * The outbox in its own SQLite file (WAL, `synchronous = FULL`: a message recorded is on disk
 * before it is sent; files 0600). One writer process at a time is SQLite's own rule; the lease
 * row decides which process sends.
 */
export function openSqliteNotificationOutbox(options: SqliteOutboxOptions): NotificationOutbox {
  const isFile = options.file !== ':memory:';
  if (isFile) createPrivately(options.file);
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  migrateSchema(db, MIGRATIONS);
  if (isFile) {
    for (const suffix of ['-wal', '-shm']) if (existsSync(options.file + suffix)) chmodSync(options.file + suffix, 0o600);
  }

  const insert = db.prepare<[string, string, string | null, string, number, number, number]>(
    `INSERT INTO outbox (key, channel, group_key, message, state, created_ms, due_ms, expires_ms)
     VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
  );
  const insertAlert = db.prepare<[string, number, string, number | null]>(
    'INSERT OR IGNORE INTO outbox_alerts (alert_id, entry_id, kind, step) VALUES (?, ?, ?, ?)',
  );
  const insertKey = db.prepare<[string, string, number]>(
    'INSERT OR IGNORE INTO outbox_notice_keys (channel, notice_key, entry_id) VALUES (?, ?, ?)',
  );
  const hasKey = db.prepare<[string, string], { n: number }>(
    'SELECT 1 AS n FROM outbox_notice_keys WHERE channel = ? AND notice_key = ?',
  );
  const byId = db.prepare<[number], Row>('SELECT * FROM outbox WHERE id = ?');
  const head = db.prepare<[string], Row>(
    `SELECT * FROM outbox WHERE channel = ? AND state = 'pending' ORDER BY created_ms, id LIMIT 1`,
  );
  const inGroup = db.prepare<[string, string], Row>(
    `SELECT * FROM outbox WHERE channel = ? AND group_key = ? AND state = 'pending' ORDER BY created_ms, id`,
  );
  const setState = db.prepare<[string, number | null, string | null, number]>(
    'UPDATE outbox SET state = ?, done_ms = ?, done_by = ? WHERE id = ?',
  );

  const add = db.transaction((entries: readonly NewOutboxEntry[]) => {
    const added: OutboxEntry[] = [];
    for (const e of entries) {
      const isKnown = e.noticeKeys.length > 0 && e.noticeKeys.every((k) => hasKey.get(e.channel, k) !== undefined);
      if (isKnown) continue;
      const id = Number(
        insert.run(randomUUID(), e.channel, e.groupKey, JSON.stringify(e.message), e.createdMs, e.dueMs, e.expiresMs)
          .lastInsertRowid,
      );
      for (const k of e.noticeKeys) insertKey.run(e.channel, k, id);
      linkAlerts(id, e.message);
      added.push(entryOf(byId.get(id)!));
    }
    return added;
  });
  const linkAlerts = (id: number, message: NewOutboxEntry['message']) => {
    if (message.source !== 'alerts') return;
    for (const n of message.notices) insertAlert.run(n.alertId, id, n.kind, n.step);
  };

  const merge = db.transaction((ids: readonly OutboxEntryId[], digest: NewOutboxEntry) => {
    const id = Number(
      insert.run(
        randomUUID(),
        digest.channel,
        digest.groupKey,
        JSON.stringify(digest.message),
        digest.createdMs,
        digest.dueMs,
        digest.expiresMs,
      ).lastInsertRowid,
    );
    linkAlerts(id, digest.message);
    const mark = db.prepare<[number, number, number]>(
      `UPDATE outbox SET state = 'merged', merged_into = ?, done_ms = ? WHERE id = ? AND state = 'pending'`,
    );
    for (const old of ids) {
      if (mark.run(id, digest.dueMs, old).changes !== 1) throw new Error(`outbox entry ${old} is not pending`);
    }
    return entryOf(byId.get(id)!);
  });

  const changeIf = (sql: string, ...params: (string | number | null)[]) => db.prepare(sql).run(...params).changes === 1;

  const expire = db.transaction((nowMs: number) => {
    const rows = db
      .prepare<[number], Row>(`SELECT * FROM outbox WHERE state IN ('pending', 'held') AND expires_ms <= ? ORDER BY id`)
      .all(nowMs);
    for (const row of rows) setState.run('expired', nowMs, null, row.id);
    return rows.map((row) => entryOf({ ...row, state: 'expired', done_ms: nowMs }));
  });

  const acquire = db.transaction((owner: string, nowMs: number, ttlMs: number) => {
    const current = db
      .prepare<[string], { owner: string; expires_ms: number }>('SELECT * FROM outbox_lease WHERE name = ?')
      .get(LEASE);
    if (current && current.owner !== owner && current.expires_ms > nowMs) return false;
    db.prepare('INSERT OR REPLACE INTO outbox_lease (name, owner, expires_ms) VALUES (?, ?, ?)').run(LEASE, owner, nowMs + ttlMs);
    return true;
  });

  const prune = db.transaction((beforeMs: number) => {
    const ids = db
      .prepare<[number], { id: number }>(`SELECT id FROM outbox WHERE state NOT IN ${OPEN} AND done_ms < ?`)
      .all(beforeMs)
      .map((r) => r.id);
    for (const id of ids) {
      db.prepare('DELETE FROM outbox_alerts WHERE entry_id = ?').run(id);
      db.prepare('DELETE FROM outbox_notice_keys WHERE entry_id = ?').run(id);
      db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
    }
    return ids.length;
  });

  const claim = (id: number, owner: string, atMs: number, leaseMs: number) =>
    changeIf(
      `UPDATE outbox SET state = 'sending', attempts = attempts + 1, due_ms = ?, claimed_by = ?, lease_until = ?
       WHERE id = ? AND state = 'pending'`,
      atMs,
      owner,
      atMs + leaseMs,
      id,
    );
  // One writer at a time is SQLite's rule, so the select and the claim in one transaction suffice.
  const claimNext = db.transaction((channel: string, owner: string, nowMs: number, leaseMs: number) => {
    const row = db
      .prepare<[string, number, number], { id: number }>(
        `SELECT id FROM outbox WHERE channel = ? AND state = 'pending' AND due_ms <= ? AND expires_ms > ?
         ORDER BY created_ms, id LIMIT 1`,
      )
      .get(channel, nowMs, nowMs);
    if (!row || !claim(row.id, owner, nowMs, leaseMs)) return undefined;
    return entryOf(byId.get(row.id)!);
  });

  const sync = {
    add: (entries: readonly NewOutboxEntry[]) => add.immediate(entries),
    get: (id: number) => {
      const row = byId.get(id);
      return row ? entryOf(row) : undefined;
    },
    head: (channel: string) => {
      const row = head.get(channel);
      return row ? entryOf(row) : undefined;
    },
    pendingInGroup: (channel: string, groupKey: string) => inGroup.all(channel, groupKey).map(entryOf),
    merge: (ids: readonly OutboxEntryId[], digest: NewOutboxEntry) => merge.immediate(ids, digest),
    claim,
    claimNext: (channel: string, owner: string, nowMs: number, leaseMs: number) =>
      claimNext.immediate(channel, owner, nowMs, leaseMs),
    markSent(id: number, atMs: number) {
      changeIf(`UPDATE outbox SET state = 'sent', done_ms = ?, last_error = NULL WHERE id = ?`, atMs, id);
    },
    markRetry(id: number, dueMs: number, error: string) {
      changeIf(`UPDATE outbox SET state = 'pending', due_ms = ?, last_error = ? WHERE id = ?`, dueMs, error, id);
    },
    hold(id: number, error: string) {
      changeIf(`UPDATE outbox SET state = 'held', last_error = ? WHERE id = ?`, error, id);
    },
    retry: (id: number, by: string, atMs: number) =>
      changeIf(`UPDATE outbox SET state = 'pending', due_ms = ?, done_by = ? WHERE id = ? AND state = 'held'`, atMs, by, id),
    giveUp: (id: number, by: string, atMs: number) =>
      changeIf(
        `UPDATE outbox SET state = 'given_up', done_ms = ?, done_by = ? WHERE id = ? AND state IN ('pending', 'held')`,
        atMs,
        by,
        id,
      ),
    expire: (nowMs: number) => expire.immediate(nowMs),
    inFlight: (channel: string, nowMs: number) =>
      db
        .prepare<[string, number], Row>(
          `SELECT * FROM outbox WHERE channel = ? AND state = 'sending' AND coalesce(lease_until, 0) <= ?
           ORDER BY created_ms, id`,
        )
        .all(channel, nowMs)
        .map(entryOf),
    sentSince: (channel: string, sinceMs: number) =>
      db
        .prepare<[string, number], { done_ms: number }>(
          `SELECT done_ms FROM outbox WHERE channel = ? AND state = 'sent' AND done_ms >= ? ORDER BY done_ms DESC`,
        )
        .all(channel, sinceMs)
        .map((r) => r.done_ms),
    list(query: OutboxListQuery) {
      const states = query.states ?? OUTBOX_STATES;
      return db
        .prepare<[string, string | null, string | null, number], Row>(
          `SELECT * FROM outbox WHERE state IN (SELECT value FROM json_each(?)) AND (? IS NULL OR channel = ?)
           ORDER BY created_ms DESC, id DESC LIMIT ?`,
        )
        .all(JSON.stringify(states), query.channel ?? null, query.channel ?? null, query.limit)
        .map(entryOf);
    },
    depths(): OutboxDepth[] {
      return db
        .prepare<[], { channel: string; depth: number; held: number; oldest: number | null }>(
          `SELECT channel, COUNT(*) AS depth, SUM(state = 'held') AS held, MIN(created_ms) AS oldest
           FROM outbox WHERE state IN ${OPEN} GROUP BY channel ORDER BY channel`,
        )
        .all()
        .map((r) => ({ channel: r.channel, depth: r.depth, held: r.held, oldestCreatedMs: r.oldest }));
    },
    deliveriesOf(alertId: string): AlertDelivery[] {
      return db
        .prepare<[string], AlertDeliveryRow>(
          `SELECT o.*, a.kind, a.step FROM outbox_alerts a JOIN outbox o ON o.id = a.entry_id
           WHERE a.alert_id = ? AND o.state != 'merged' ORDER BY o.created_ms, o.id`,
        )
        .all(alertId)
        .map(alertDeliveryOf);
    },
    prune: (beforeMs: number) => prune.immediate(beforeMs),
    acquireLease: (owner: string, nowMs: number, ttlMs: number) => acquire.immediate(owner, nowMs, ttlMs),
    releaseLease(owner: string) {
      db.prepare('DELETE FROM outbox_lease WHERE name = ? AND owner = ?').run(LEASE, owner);
    },
    close() {
      if (db.open) db.close();
    },
  };
  return asyncOutbox(sync);
}

type SyncOutbox = {
  [K in keyof NotificationOutbox]: (...args: Parameters<NotificationOutbox[K]>) => Awaited<ReturnType<NotificationOutbox[K]>>;
};

/** The port is async for networked engines; SQLite answers at once, a thrown error becomes a rejection. */
function asyncOutbox(sync: SyncOutbox): NotificationOutbox {
  const wrapped: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(sync) as [string, (...args: never[]) => unknown][]) {
    wrapped[name] = async (...args: never[]) => fn(...args);
  }
  return wrapped as unknown as NotificationOutbox;
}
