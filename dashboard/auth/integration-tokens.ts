import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { generateToken, hashToken } from '../../registry/tokens.js';
import type { Role } from './roles.js';

export interface IntegrationToken {
  id: string;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Row {
  id: string;
  name: string;
  role: Role;
  created_by: string;
  created_ms: number;
  last_used_ms: number | null;
  revoked_ms: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const toToken = (row: Row): IntegrationToken => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdBy: row.created_by,
  createdAt: iso(row.created_ms)!,
  lastUsedAt: iso(row.last_used_ms),
  revokedAt: iso(row.revoked_ms),
});

/** Last use is written at most once a minute per token: a scraper every 15 s does not write each time. */
export const TOKEN_TOUCH_EVERY_MS = 60_000;

/**
 * Bearer tokens for integrations (the online lending platform, couriers, Prometheus): random 256
 * bits, stored as SHA-256 (a lookup by hash, no slow password hash: they are not guessable).
 */
export interface IntegrationTokens {
  issue(input: { name: string; role: Role; createdBy: string }): Promise<{ token: IntegrationToken; secret: string }>;
  list(): Promise<IntegrationToken[]>;
  /** The live token behind a presented secret (recording its use), or undefined. */
  resolve(secret: string): Promise<IntegrationToken | undefined>;
  isLive(id: string): Promise<boolean>;
  /** Revokes it; false when no live token has this id. */
  revoke(id: string): Promise<boolean>;
  /** Revokes every live token with this name (a service re-issuing its own credential at start). */
  revokeNamed(name: string): Promise<void>;
}

export function createIntegrationTokens(db: Database.Database, now: () => number): IntegrationTokens {
  const insert = db.prepare('INSERT INTO integration_tokens VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)');
  const all = db.prepare<[], Row>('SELECT * FROM integration_tokens ORDER BY created_ms, id');
  const byHash = db.prepare<[string], Row>('SELECT * FROM integration_tokens WHERE token_hash = ? AND revoked_ms IS NULL');
  const byId = db.prepare<[string], Row>('SELECT * FROM integration_tokens WHERE id = ? AND revoked_ms IS NULL');
  const touch = db.prepare('UPDATE integration_tokens SET last_used_ms = ? WHERE id = ?');
  const revoke = db.prepare('UPDATE integration_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL');
  const revokeNamed = db.prepare('UPDATE integration_tokens SET revoked_ms = ? WHERE name = ? AND revoked_ms IS NULL');

  return {
    async issue({ name, role, createdBy }) {
      const secret = generateToken();
      const id = randomUUID();
      insert.run(id, name, role, hashToken(secret), createdBy, now());
      return { token: toToken(byId.get(id)!), secret };
    },
    list: async () => all.all().map(toToken),
    async resolve(secret) {
      const row = byHash.get(hashToken(secret));
      if (!row) return undefined;
      const at = now();
      if (row.last_used_ms === null || at - row.last_used_ms >= TOKEN_TOUCH_EVERY_MS) {
        touch.run(at, row.id);
        row.last_used_ms = at;
      }
      return toToken(row);
    },
    isLive: async (id) => byId.get(id) !== undefined,
    revoke: async (id) => revoke.run(now(), id).changes > 0,
    revokeNamed: async (name) => void revokeNamed.run(now(), name),
  };
}
