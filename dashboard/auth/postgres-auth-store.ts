import { migratePostgresSchema, type PostgresMigration } from '../../config/postgres-migrations.js';
import { createPostgresPool } from '../../config/postgres-pool.js';
import type { AuthStore } from './auth-service.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './login-limiter.js';
import { DEFAULT_SCRYPT, type ScryptParams } from './passwords.js';
import { createPostgresIntegrationTokens } from './postgres-integration-tokens.js';
import { createPostgresLoginLimiter } from './postgres-login-limiter.js';
import { createPostgresSessions } from './postgres-sessions.js';
import { createPostgresUsers } from './postgres-users.js';
import type { SessionPolicy } from './sessions.js';

/** The name the accounts' schema versions are recorded under in `schema_migrations`. */
export const AUTH_COMPONENT = 'auth';

const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: the tables of users.sqlite, and the login limiter's failures (kept in memory without a
  // database: here every node counts every node's failures).
  `
  CREATE TABLE users (
    username text COLLATE "C" PRIMARY KEY,
    display_name text NOT NULL,
    role text NOT NULL,
    password_hash text NOT NULL,
    must_change_password boolean NOT NULL,
    disabled boolean NOT NULL DEFAULT false,
    created_ms bigint NOT NULL,
    updated_ms bigint NOT NULL
  );
  CREATE TABLE sessions (
    key_hash text COLLATE "C" PRIMARY KEY,
    username text COLLATE "C" NOT NULL REFERENCES users (username),
    csrf_token text NOT NULL,
    created_ms bigint NOT NULL,
    last_seen_ms bigint NOT NULL,
    address text NOT NULL
  );
  CREATE INDEX sessions_by_user ON sessions (username);
  CREATE TABLE integration_tokens (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    token_hash text COLLATE "C" NOT NULL UNIQUE,
    created_by text NOT NULL,
    created_ms bigint NOT NULL,
    last_used_ms bigint,
    revoked_ms bigint
  );
  CREATE TABLE login_failures (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms bigint NOT NULL,
    username text COLLATE "C" NOT NULL,
    address text COLLATE "C" NOT NULL,
    forgiven boolean NOT NULL DEFAULT false
  );
  CREATE INDEX login_failures_by_user ON login_failures (username, at_ms);
  CREATE INDEX login_failures_by_address ON login_failures (address, at_ms);
  CREATE INDEX login_failures_by_time ON login_failures (at_ms);
  CREATE TABLE login_guessing_reported (
    username text COLLATE "C" PRIMARY KEY
  );
  `,
];

export interface PostgresAuthStoreOptions {
  url: string;
  now: () => number;
  sessions: SessionPolicy;
  scrypt?: ScryptParams | undefined;
  loginLimits?: LoginLimits | undefined;
  onIdleError?: (error: Error) => void;
}

/**
 * People, sessions, integration tokens and the login limiter's counts in PostgreSQL (DATABASE_URL),
 * shared by every node: a session made on one node is valid on every node, a sign-out or a disabled
 * account takes effect on every node at its next request (each request reads its session and
 * account), and the limiter counts failures from every node. The audit log is its own store
 * (`postgres-audit-log.ts`).
 */
export async function openPostgresAuthStore(options: PostgresAuthStoreOptions): Promise<AuthStore> {
  const pool = createPostgresPool({
    url: options.url,
    applicationName: 'kiosk-fleet accounts',
    maxConnections: 5,
    ...(options.onIdleError ? { onIdleError: options.onIdleError } : {}),
  });
  try {
    await migratePostgresSchema(pool, AUTH_COMPONENT, MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const { now } = options;
  return {
    users: createPostgresUsers(pool, now, options.scrypt ?? DEFAULT_SCRYPT),
    sessions: createPostgresSessions(pool, options.sessions, now),
    tokens: createPostgresIntegrationTokens(pool, now),
    limiter: createPostgresLoginLimiter(pool, now, options.loginLimits ?? DEFAULT_LOGIN_LIMITS),
    close: () => pool.end(),
  };
}
