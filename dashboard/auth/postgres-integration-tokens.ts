import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { generateToken, hashToken } from '../../registry/tokens.js';
import { type IntegrationTokens, type Row, TOKEN_TOUCH_EVERY_MS, toToken } from './integration-tokens.js';

/** Integration tokens valid on every node (see postgres-auth-store.ts); the same rules as integration-tokens.ts. */
export function createPostgresIntegrationTokens(pool: pg.Pool, now: () => number): IntegrationTokens {
  const revokeWhere = async (column: 'id' | 'name', value: string) =>
    (
      await pool.query(`UPDATE integration_tokens SET revoked_ms = $1 WHERE ${column} = $2 AND revoked_ms IS NULL`, [
        now(),
        value,
      ])
    ).rowCount ?? 0;
  return {
    async issue({ name, role, createdBy }) {
      const secret = generateToken();
      const { rows } = await pool.query<Row>(
        `INSERT INTO integration_tokens (id, name, role, token_hash, created_by, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [randomUUID(), name, role, hashToken(secret), createdBy, now()],
      );
      return { token: toToken(rows[0]!), secret };
    },
    list: async () => (await pool.query<Row>('SELECT * FROM integration_tokens ORDER BY created_ms, id')).rows.map(toToken),
    async resolve(secret) {
      const { rows } = await pool.query<Row>('SELECT * FROM integration_tokens WHERE token_hash = $1 AND revoked_ms IS NULL', [
        hashToken(secret),
      ]);
      const row = rows[0];
      if (!row) return undefined;
      const at = now();
      if (row.last_used_ms === null || at - row.last_used_ms >= TOKEN_TOUCH_EVERY_MS) {
        await pool.query('UPDATE integration_tokens SET last_used_ms = $1 WHERE id = $2', [at, row.id]);
        row.last_used_ms = at;
      }
      return toToken(row);
    },
    isLive: async (id) =>
      (await pool.query('SELECT 1 FROM integration_tokens WHERE id = $1 AND revoked_ms IS NULL', [id])).rows.length > 0,
    revoke: async (id) => (await revokeWhere('id', id)) > 0,
    revokeNamed: async (name) => void (await revokeWhere('name', name)),
  };
}
