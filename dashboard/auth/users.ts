import type Database from 'better-sqlite3';
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams, verifyPassword } from './passwords.js';
import type { PersonRole } from './roles.js';

export interface User {
  username: string;
  displayName: string;
  role: PersonRole;
  mustChangePassword: boolean;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Row {
  username: string;
  display_name: string;
  role: PersonRole;
  password_hash: string;
  must_change_password: number;
  disabled: number;
  created_ms: number;
  updated_ms: number;
}

export class UserError extends Error {
  constructor(
    readonly code: 'USER_EXISTS' | 'USER_NOT_FOUND' | 'LAST_ADMIN',
    message: string,
  ) {
    super(message);
  }
}

export const toUser = (row: Row): User => ({
  username: row.username,
  displayName: row.display_name,
  role: row.role,
  mustChangePassword: row.must_change_password === 1,
  disabled: row.disabled === 1,
  createdAt: new Date(row.created_ms).toISOString(),
  updatedAt: new Date(row.updated_ms).toISOString(),
});

export interface UserChanges {
  role?: PersonRole | undefined;
  displayName?: string | undefined;
  disabled?: boolean | undefined;
  password?: string | undefined;
  mustChangePassword?: boolean | undefined;
}

/** People and their password hashes: `users.sqlite` (here) or PostgreSQL (`postgres-users.ts`). */
export interface Users {
  count(): Promise<number>;
  get(username: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  create(input: {
    username: string;
    displayName: string;
    role: PersonRole;
    password: string;
    mustChangePassword: boolean;
  }): Promise<User>;
  /**
   * Applies the changes in one transaction with the last-admin rule: a change that would leave no
   * enabled admin throws `LAST_ADMIN` and changes nothing (checked at the write, not before the
   * password is hashed, so two concurrent requests cannot both pass the check).
   */
  update(username: string, changes: UserChanges): Promise<User>;
  /**
   * The user if the password is right and the account enabled; undefined otherwise. Costs one
   * scrypt either way, so an unknown name answers in the same time as a wrong password.
   */
  authenticate(username: string, password: string): Promise<User | undefined>;
}

export function createUsers(db: Database.Database, now: () => number, params: ScryptParams = DEFAULT_SCRYPT): Users {
  const byName = db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?');
  const all = db.prepare<[], Row>('SELECT * FROM users ORDER BY username');
  const insert = db.prepare(`INSERT INTO users VALUES (@username, @displayName, @role, @hash, @mustChange, 0, @at, @at)`);
  const setHash = db.prepare('UPDATE users SET password_hash = ? WHERE username = ?');
  const enabledAdmins = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0`);
  // A hash of nothing anyone knows, verified for unknown names so they cost what a known one does.
  let decoy: Promise<string> | undefined;

  const get = (username: string) => {
    const row = byName.get(username);
    return row ? toUser(row) : undefined;
  };

  return {
    count: async () => (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n,
    get: async (username) => get(username),
    list: async () => all.all().map(toUser),
    async create(input) {
      const hash = await hashPassword(input.password, params);
      if (byName.get(input.username)) throw new UserError('USER_EXISTS', `a user ${input.username} exists already`);
      insert.run({ ...input, hash, mustChange: input.mustChangePassword ? 1 : 0, at: now() });
      return get(input.username)!;
    },
    async update(username, changes) {
      if (!byName.get(username)) throw new UserError('USER_NOT_FOUND', `no user ${username}`);
      const hash = changes.password === undefined ? undefined : await hashPassword(changes.password, params);
      const sets: string[] = ['updated_ms = @at'];
      if (changes.role !== undefined) sets.push('role = @role');
      if (changes.displayName !== undefined) sets.push('display_name = @displayName');
      if (changes.disabled !== undefined) sets.push('disabled = @disabled');
      if (hash !== undefined) sets.push('password_hash = @hash');
      if (changes.mustChangePassword !== undefined) sets.push('must_change_password = @mustChange');
      const write = db.transaction(() => {
        const row = byName.get(username);
        if (!row) throw new UserError('USER_NOT_FOUND', `no user ${username}`);
        const isEnabledAdmin = row.role === 'admin' && row.disabled === 0;
        const staysEnabledAdmin = (changes.role ?? row.role) === 'admin' && !(changes.disabled ?? row.disabled === 1);
        if (isEnabledAdmin && !staysEnabledAdmin && enabledAdmins.get()!.n <= 1) {
          throw new UserError('LAST_ADMIN', 'the last enabled admin cannot be disabled or demoted');
        }
        db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE username = @username`).run({
          username,
          at: now(),
          role: changes.role ?? null,
          displayName: changes.displayName ?? null,
          disabled: changes.disabled ? 1 : 0,
          hash: hash ?? null,
          mustChange: changes.mustChangePassword ? 1 : 0,
        });
      });
      write.immediate();
      return get(username)!;
    },
    async authenticate(username, password) {
      const row = byName.get(username);
      if (!row) {
        decoy ??= hashPassword('decoy', params);
        await verifyPassword(password, await decoy, params);
        return undefined;
      }
      const { ok, weakerThan } = await verifyPassword(password, row.password_hash, params);
      if (!ok || row.disabled === 1) return undefined;
      if (weakerThan) setHash.run(await hashPassword(password, params), username);
      return toUser(row);
    },
  };
}
