import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { sessionKeyOf, type SessionPolicy, type Sessions, TOUCH_EVERY_MS } from './sessions.js';

interface Row {
  key_hash: string;
  username: string;
  csrf_token: string;
  created_ms: number;
  last_seen_ms: number;
}

/** Sessions valid on every node (see postgres-auth-store.ts); the same rules as sessions.ts. */
export function createPostgresSessions(pool: pg.Pool, policy: SessionPolicy, now: () => number): Sessions {
  const live = async (key: string): Promise<Row | undefined> => {
    const row = (await pool.query<Row>('SELECT * FROM sessions WHERE key_hash = $1', [key])).rows[0];
    if (!row) return undefined;
    const at = now();
    if (at - row.last_seen_ms > policy.idleMs || at - row.created_ms > policy.absoluteMs) {
      await pool.query('DELETE FROM sessions WHERE key_hash = $1', [key]);
      return undefined;
    }
    return row;
  };

  return {
    async open(username, address) {
      const at = now();
      await pool.query('DELETE FROM sessions WHERE last_seen_ms < $1 OR created_ms < $2', [
        at - policy.idleMs,
        at - policy.absoluteMs,
      ]);
      const cookieValue = randomBytes(32).toString('base64url');
      const session = { key: sessionKeyOf(cookieValue), username, csrfToken: randomBytes(32).toString('base64url') };
      await pool.query('INSERT INTO sessions VALUES ($1, $2, $3, $4, $4, $5)', [
        session.key,
        username,
        session.csrfToken,
        at,
        address,
      ]);
      return { cookieValue, session };
    },
    async resolve(cookieValue) {
      const row = await live(sessionKeyOf(cookieValue));
      if (!row) return undefined;
      const at = now();
      if (at - row.last_seen_ms >= TOUCH_EVERY_MS) {
        await pool.query('UPDATE sessions SET last_seen_ms = $1 WHERE key_hash = $2', [at, row.key_hash]);
      }
      return { key: row.key_hash, username: row.username, csrfToken: row.csrf_token };
    },
    keyOf: sessionKeyOf,
    isLive: async (key) => (await live(key)) !== undefined,
    async close(key) {
      await pool.query('DELETE FROM sessions WHERE key_hash = $1', [key]);
    },
    async closeAllOf(username, except) {
      const { rows } = await pool.query<{ key_hash: string }>(
        'DELETE FROM sessions WHERE username = $1 AND key_hash IS DISTINCT FROM $2 RETURNING key_hash',
        [username, except ?? null],
      );
      return rows.map((r) => r.key_hash);
    },
  };
}
