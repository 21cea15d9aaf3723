import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface SessionPolicy {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after login, used or not. */
  absoluteMs: number;
}

export interface Session {
  /** SHA-256 of the cookie value: what is stored, and how sockets are tagged. */
  key: string;
  username: string;
  csrfToken: string;
}

interface Row {
  key_hash: string;
  username: string;
  csrf_token: string;
  created_ms: number;
  last_seen_ms: number;
}

/** Last-seen is written at most this often per session: a busy page does not write on every request. */
export const TOUCH_EVERY_MS = 15_000;

export const sessionKeyOf = (cookieValue: string) => createHash('sha256').update(cookieValue, 'utf8').digest('hex');

/** Signed-in people's sessions: `users.sqlite` (here) or PostgreSQL (`postgres-sessions.ts`). */
export interface Sessions {
  /** A new session; the cookie value is returned this once and stored only as its hash. */
  open(username: string, address: string): Promise<{ cookieValue: string; session: Session }>;
  /** The live session behind a cookie value (touching it), or undefined when unknown or expired. */
  resolve(cookieValue: string): Promise<Session | undefined>;
  /** The stored key of a cookie value. */
  keyOf(cookieValue: string): string;
  /** Whether the session with this key is still live (without touching it). */
  isLive(key: string): Promise<boolean>;
  close(key: string): Promise<void>;
  /** Ends every session of a user, but `except`; returns the ended keys. */
  closeAllOf(username: string, except?: string): Promise<string[]>;
}

export function createSessions(db: Database.Database, policy: SessionPolicy, now: () => number): Sessions {
  const insert = db.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)');
  const byKey = db.prepare<[string], Row>('SELECT * FROM sessions WHERE key_hash = ?');
  const touch = db.prepare('UPDATE sessions SET last_seen_ms = ? WHERE key_hash = ?');
  const remove = db.prepare('DELETE FROM sessions WHERE key_hash = ?');
  const keysOf = db.prepare<[string], { key_hash: string }>('SELECT key_hash FROM sessions WHERE username = ?');
  const purge = db.prepare('DELETE FROM sessions WHERE last_seen_ms < ? OR created_ms < ?');

  const live = (key: string): Row | undefined => {
    const row = byKey.get(key);
    if (!row) return undefined;
    const at = now();
    if (at - row.last_seen_ms > policy.idleMs || at - row.created_ms > policy.absoluteMs) {
      remove.run(key);
      return undefined;
    }
    return row;
  };

  return {
    async open(username, address) {
      const at = now();
      purge.run(at - policy.idleMs, at - policy.absoluteMs);
      const cookieValue = randomBytes(32).toString('base64url');
      const session = { key: sessionKeyOf(cookieValue), username, csrfToken: randomBytes(32).toString('base64url') };
      insert.run(session.key, username, session.csrfToken, at, at, address);
      return { cookieValue, session };
    },
    async resolve(cookieValue) {
      const row = live(sessionKeyOf(cookieValue));
      if (!row) return undefined;
      const at = now();
      if (at - row.last_seen_ms >= TOUCH_EVERY_MS) touch.run(at, row.key_hash);
      return { key: row.key_hash, username: row.username, csrfToken: row.csrf_token };
    },
    keyOf: sessionKeyOf,
    isLive: async (key) => live(key) !== undefined,
    close: async (key) => void remove.run(key),
    async closeAllOf(username, except) {
      const keys = keysOf
        .all(username)
        .map((r) => r.key_hash)
        .filter((k) => k !== except);
      for (const key of keys) remove.run(key);
      return keys;
    },
  };
}
