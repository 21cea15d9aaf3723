import { EventEmitter } from 'node:events';
import type { AuditLog } from './audit-log.js';
import { openAuthDb } from './auth-db.js';
import { createSqliteAuditLog } from './sqlite-audit-log.js';
import { createIntegrationTokens, type IntegrationTokens } from './integration-tokens.js';
import { createLoginLimiter, DEFAULT_LOGIN_LIMITS, type LoginLimiter, type LoginLimits } from './login-limiter.js';
import { DEFAULT_SCRYPT, generatePassword, type ScryptParams } from './passwords.js';
import type { Principal } from './roles.js';
import { createSessions, type SessionPolicy, type Sessions } from './sessions.js';
import { createUsers, type Users } from './users.js';

export const SESSION_COOKIE = 'kf_session';

export interface AuthOptions {
  /** `DATA_DIR/users.sqlite`, or `:memory:`. */
  file: string;
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
  authenticate(credentials: { cookieHeader?: string | undefined; bearer?: string | undefined }): Principal | null | undefined;
  /** Whether a principal authenticated earlier still is (session live, account enabled, token not revoked). */
  isStillValid(principal: Principal): boolean;
  /** Tells the socket gateway to disconnect what ended (logout, disabled account, revoked token). */
  ended(what: Ended): void;
  onEnded(listener: (what: Ended) => void): () => void;
  close(): void;
}

/** `kf_session` from a Cookie header. */
export function sessionCookieOf(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

export function openAuth(options: AuthOptions): Auth {
  const db = openAuthDb(options.file);
  const { now } = options;
  const users = createUsers(db, now, options.scrypt ?? DEFAULT_SCRYPT);
  const sessions = createSessions(db, options.sessions, now);
  const tokens = createIntegrationTokens(db, now);
  const events = new EventEmitter();

  const sessionPrincipal = (cookieValue: string): Principal | null => {
    const session = sessions.resolve(cookieValue);
    if (!session) return null;
    const user = users.get(session.username);
    if (!user || user.disabled) {
      sessions.close(session.key);
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
    audit: options.audit ?? createSqliteAuditLog(db),
    limiter: createLoginLimiter(now, options.loginLimits ?? DEFAULT_LOGIN_LIMITS),
    now,
    authenticate({ cookieHeader, bearer }) {
      if (bearer !== undefined) {
        const token = tokens.resolve(bearer);
        return token ? { kind: 'token', name: token.name, role: token.role, tokenId: token.id } : null;
      }
      const cookie = sessionCookieOf(cookieHeader);
      return cookie === undefined ? undefined : sessionPrincipal(cookie);
    },
    isStillValid(principal) {
      if (principal.kind === 'token') return tokens.isLive(principal.tokenId);
      const user = users.get(principal.name);
      return user !== undefined && !user.disabled && sessions.isLive(principal.sessionKey);
    },
    ended: (what) => void events.emit('ended', what),
    onEnded(listener) {
      events.on('ended', listener);
      return () => events.off('ended', listener);
    },
    close: () => db.close(),
  };
}

/**
 * The first admin, on a fresh users database: with `FLEET_ADMIN_PASSWORD` user `admin` gets that
 * password; without it, a one-time password is generated, returned to be printed once, and must
 * be changed at first login. Nothing happens when any user exists.
 */
export async function ensureFirstAdmin(auth: Auth, password: string | undefined): Promise<{ oneTimePassword?: string } | null> {
  if (auth.users.count() > 0) return null;
  const chosen = password ?? generatePassword();
  await auth.users.create({
    username: 'admin',
    displayName: 'Administrator',
    role: 'admin',
    password: chosen,
    mustChangePassword: password === undefined,
  });
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
