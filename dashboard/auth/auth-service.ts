import { EventEmitter } from 'node:events';
import { hashToken } from '../../registry/tokens.js';
import type { AuditLog } from './audit-log.js';
import { openAuthDb } from './auth-db.js';
import { createSqliteAuditLog } from './sqlite-audit-log.js';
import { createIntegrationTokens, type IntegrationTokens } from './integration-tokens.js';
import { createLoginLimiter, DEFAULT_LOGIN_LIMITS, type LoginLimiter, type LoginLimits } from './login-limiter.js';
import { DEFAULT_SCRYPT, generatePassword, type ScryptParams } from './passwords.js';
import type { Principal } from './roles.js';
import { createSessions, type SessionPolicy, type Sessions } from './sessions.js';
import { createUsers, UserError, type Users } from './users.js';

export const SESSION_COOKIE = 'kf_session';

/**
 * While the store cannot answer (PostgreSQL down), a credential this node verified at most this long
 * ago is still taken, so operators keep their dashboard through a database outage (the issue's
 * 60 s outage, with room). Nothing can be revoked while the store is down, so what this lets in is
 * at most a revocation made on another node in the moments before the outage that this node had
 * not seen yet.
 */
export const STORE_OUTAGE_GRACE_MS = 10 * 60_000;
/** Credentials remembered for an outage; the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;

export class AuthUnavailableError extends Error {
  readonly code = 'AUTH_UNAVAILABLE';
}

/**
 * Where people, sessions, integration tokens and the login limiter's counts are kept: `users.sqlite`
 * (`openSqliteAuthStore`, the default) or PostgreSQL (`openPostgresAuthStore`, with DATABASE_URL).
 */
export interface AuthStore {
  users: Users;
  sessions: Sessions;
  tokens: IntegrationTokens;
  limiter: LoginLimiter;
  /** The audit log kept beside them, unless the platform gives one of its own. */
  audit?: AuditLog;
  close(): Promise<void>;
}

export interface AuthOptions {
  /** `DATA_DIR/users.sqlite`, or `:memory:`; ignored when `store` is given. */
  file?: string;
  /** Opened elsewhere (PostgreSQL); closed with the Auth. */
  store?: AuthStore;
  now: () => number;
  sessions: SessionPolicy;
  scrypt?: ScryptParams;
  loginLimits?: LoginLimits;
  /** Where actions are audited; by default the audit_log table of `file`. */
  audit?: AuditLog;
}

/** What ended, so the socket gateway can disconnect it at once. */
export interface Ended {
  sessionKeys?: string[];
  tokenIds?: string[];
}

/** People, sessions, integration tokens and the audit log, with the checks that tie them together. */
export interface Auth {
  users: Users;
  sessions: Sessions;
  tokens: IntegrationTokens;
  audit: AuditLog;
  limiter: LoginLimiter;
  now: () => number;
  /**
   * Who presents these credentials: a bearer token wins over a cookie. `undefined`: none given;
   * `null`: given but not valid (unknown, expired, revoked, or the account disabled).
   */
  authenticate(credentials: {
    cookieHeader?: string | undefined;
    bearer?: string | undefined;
  }): Promise<Principal | null | undefined>;
  /** Whether a principal authenticated earlier still is (session live, account enabled, token not revoked). */
  isStillValid(principal: Principal): Promise<boolean>;
  /** Tells the socket gateway to disconnect what ended (logout, disabled account, revoked token). */
  ended(what: Ended): void;
  onEnded(listener: (what: Ended) => void): () => void;
  close(): Promise<void>;
}

/** `kf_session` from a Cookie header. */
export function sessionCookieOf(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/** People, sessions and tokens in one SQLite file, with its audit log; the login limiter in memory. */
export function openSqliteAuthStore(options: {
  file: string;
  now: () => number;
  sessions: SessionPolicy;
  scrypt?: ScryptParams | undefined;
  loginLimits?: LoginLimits | undefined;
}): AuthStore {
  const db = openAuthDb(options.file);
  const { now } = options;
  return {
    users: createUsers(db, now, options.scrypt ?? DEFAULT_SCRYPT),
    sessions: createSessions(db, options.sessions, now),
    tokens: createIntegrationTokens(db, now),
    limiter: createLoginLimiter(now, options.loginLimits ?? DEFAULT_LOGIN_LIMITS),
    audit: createSqliteAuditLog(db),
    close: async () => void db.close(),
  };
}

export function openAuth(options: AuthOptions): Auth {
  const { now } = options;
  const store =
    options.store ??
    openSqliteAuthStore({
      file: options.file ?? ':memory:',
      now,
      sessions: options.sessions,
      scrypt: options.scrypt,
      loginLimits: options.loginLimits,
    });
  const { users, sessions, tokens } = store;
  const events = new EventEmitter();
  /** Credentials verified lately, by kind and hash, for a store outage (STORE_OUTAGE_GRACE_MS). */
  const remembered = new Map<string, { principal: Principal; atMs: number }>();

  const sessionPrincipal = async (cookieValue: string): Promise<Principal | null> => {
    const session = await sessions.resolve(cookieValue);
    if (!session) return null;
    const user = await users.get(session.username);
    if (!user || user.disabled) {
      await sessions.close(session.key);
      return null;
    }
    return {
      kind: 'session',
      name: user.username,
      role: user.role,
      displayName: user.displayName,
      mustChangePassword: user.mustChangePassword,
      sessionKey: session.key,
      csrfToken: session.csrfToken,
    };
  };

  return {
    users,
    sessions,
    tokens,
    audit: audit(options, store),
    limiter: store.limiter,
    now,
    async authenticate({ cookieHeader, bearer }) {
      const cookie = bearer === undefined ? sessionCookieOf(cookieHeader) : undefined;
      if (bearer === undefined && cookie === undefined) return undefined;
      const key = bearer !== undefined ? `b:${hashToken(bearer)}` : `c:${sessions.keyOf(cookie!)}`;
      let principal: Principal | null;
      try {
        if (bearer !== undefined) {
          const token = await tokens.resolve(bearer);
          principal = token ? { kind: 'token', name: token.name, role: token.role, tokenId: token.id } : null;
        } else {
          principal = await sessionPrincipal(cookie!);
        }
      } catch (cause) {
        const known = remembered.get(key);
        if (known !== undefined && now() - known.atMs <= STORE_OUTAGE_GRACE_MS) return known.principal;
        throw new AuthUnavailableError('the accounts store cannot be read; try again shortly', { cause });
      }
      remembered.delete(key);
      if (principal) {
        remembered.set(key, { principal, atMs: now() });
        if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
      }
      return principal;
    },
    async isStillValid(principal) {
      try {
        if (principal.kind === 'token') return await tokens.isLive(principal.tokenId);
        const user = await users.get(principal.name);
        return user !== undefined && !user.disabled && (await sessions.isLive(principal.sessionKey));
      } catch {
        return true; // the store is down: a connected dashboard stays, checked again when it answers
      }
    },
    ended(what) {
      // What ended through this node is not let in again during an outage.
      for (const key of what.sessionKeys ?? []) remembered.delete(`c:${key}`);
      const tokenIds = new Set(what.tokenIds ?? []);
      for (const [key, { principal }] of remembered) {
        if (principal.kind === 'token' && tokenIds.has(principal.tokenId)) remembered.delete(key);
      }
      events.emit('ended', what);
    },
    onEnded(listener) {
      events.on('ended', listener);
      return () => events.off('ended', listener);
    },
    close: () => store.close(),
  };
}

function audit(options: AuthOptions, store: AuthStore): AuditLog {
  const log = options.audit ?? store.audit;
  if (log === undefined) throw new Error('an auth store without an audit log needs one given (AuthOptions.audit)');
  return log;
}

/**
 * The first admin, on a fresh users database: with `FLEET_ADMIN_PASSWORD` user `admin` gets that
 * password; without it, a one-time password is generated, returned to be printed once, and must
 * be changed at first login. Nothing happens when any user exists.
 */
export async function ensureFirstAdmin(auth: Auth, password: string | undefined): Promise<{ oneTimePassword?: string } | null> {
  if ((await auth.users.count()) > 0) return null;
  const chosen = password ?? generatePassword();
  try {
    await auth.users.create({
      username: 'admin',
      displayName: 'Administrator',
      role: 'admin',
      password: chosen,
      mustChangePassword: password === undefined,
    });
  } catch (error) {
    // Nodes starting together on an empty shared database (PostgreSQL) all find no user; the first
    // to commit made the admin, and a one-time password is the one that node printed.
    if (error instanceof UserError && error.code === 'USER_EXISTS') return null;
    throw error;
  }
  auth.audit.record({
    atMs: auth.now(),
    actor: 'system',
    role: null,
    action: 'user.create',
    target: 'admin',
    address: null,
    outcome: 'ok',
    detail: password === undefined ? 'first admin, one-time password' : 'first admin, FLEET_ADMIN_PASSWORD',
  });
  return password === undefined ? { oneTimePassword: chosen } : {};
}
