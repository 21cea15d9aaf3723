import type pg from 'pg';
import { inTransaction } from '../../config/postgres-pool.js';
import { hashPassword, type ScryptParams, verifyPassword } from './passwords.js';
import type { PersonRole } from './roles.js';
import { type User, UserError, type Users } from './users.js';

interface Row {
  username: string;
  display_name: string;
  role: PersonRole;
  password_hash: string;
  must_change_password: boolean;
  disabled: boolean;
  created_ms: number;
  updated_ms: number;
}

const toUser = (row: Row): User => ({
  username: row.username,
  displayName: row.display_name,
  role: row.role,
  mustChangePassword: row.must_change_password,
  disabled: row.disabled,
  createdAt: new Date(row.created_ms).toISOString(),
  updatedAt: new Date(row.updated_ms).toISOString(),
});

/** The people of every node (see postgres-auth-store.ts). */
export function createPostgresUsers(pool: pg.Pool, now: () => number, params: ScryptParams): Users {
  let decoy: Promise<string> | undefined;
  const byName = async (username: string, client: pg.Pool | pg.PoolClient = pool) =>
    (await client.query<Row>('SELECT * FROM users WHERE username = $1', [username])).rows[0];

  return {
    count: async () => (await pool.query<{ n: number }>('SELECT count(*)::integer AS n FROM users')).rows[0]!.n,
    get: async (username) => {
      const row = await byName(username);
      return row && toUser(row);
    },
    list: async () => (await pool.query<Row>('SELECT * FROM users ORDER BY username')).rows.map(toUser),
    async create(input) {
      const hash = await hashPassword(input.password, params);
      const at = now();
      const { rows } = await pool.query<Row>(
        `INSERT INTO users VALUES ($1, $2, $3, $4, $5, false, $6, $6) ON CONFLICT (username) DO NOTHING RETURNING *`,
        [input.username, input.displayName, input.role, hash, input.mustChangePassword, at],
      );
      if (rows[0] === undefined) throw new UserError('USER_EXISTS', `a user ${input.username} exists already`);
      return toUser(rows[0]);
    },
    async update(username, changes) {
      if (!(await byName(username))) throw new UserError('USER_NOT_FOUND', `no user ${username}`);
      const hash = changes.password === undefined ? undefined : await hashPassword(changes.password, params);
      return inTransaction(pool, async (client) => {
        // Locks every enabled admin's row: of two nodes demoting the last two admins at once, the
        // second waits, then finds one admin left and is refused.
        const admins = await client.query<{ username: string }>(
          `SELECT username FROM users WHERE role = 'admin' AND NOT disabled ORDER BY username FOR UPDATE`,
        );
        const row = (await client.query<Row>('SELECT * FROM users WHERE username = $1 FOR UPDATE', [username])).rows[0];
        if (!row) throw new UserError('USER_NOT_FOUND', `no user ${username}`);
        const isEnabledAdmin = row.role === 'admin' && !row.disabled;
        const staysEnabledAdmin = (changes.role ?? row.role) === 'admin' && !(changes.disabled ?? row.disabled);
        if (isEnabledAdmin && !staysEnabledAdmin && admins.rows.length <= 1) {
          throw new UserError('LAST_ADMIN', 'the last enabled admin cannot be disabled or demoted');
        }
        const { rows } = await client.query<Row>(
          `UPDATE users SET updated_ms = $2, role = COALESCE($3, role), display_name = COALESCE($4, display_name),
             disabled = COALESCE($5, disabled), password_hash = COALESCE($6, password_hash),
             must_change_password = COALESCE($7, must_change_password)
           WHERE username = $1 RETURNING *`,
          [
            username,
            now(),
            changes.role ?? null,
            changes.displayName ?? null,
            changes.disabled ?? null,
            hash ?? null,
            changes.mustChangePassword ?? null,
          ],
        );
        return toUser(rows[0]!);
      });
    },
    async authenticate(username, password) {
      const row = await byName(username);
      if (!row) {
        decoy ??= hashPassword('decoy', params);
        await verifyPassword(password, await decoy, params);
        return undefined;
      }
      const { ok, weakerThan } = await verifyPassword(password, row.password_hash, params);
      if (!ok || row.disabled) return undefined;
      if (weakerThan) {
        await pool.query('UPDATE users SET password_hash = $1 WHERE username = $2', [
          await hashPassword(password, params),
          username,
        ]);
      }
      return toUser(row);
    },
  };
}
