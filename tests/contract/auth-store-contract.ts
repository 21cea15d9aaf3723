import { afterEach, describe, expect, test } from 'vitest';
import { openAuthDb } from '../../dashboard/auth/auth-db.js';
import { type Auth, type AuthStore, ensureFirstAdmin, openAuth } from '../../dashboard/auth/auth-service.js';
import { createSqliteAuditLog } from '../../dashboard/auth/sqlite-audit-log.js';
import type { LoginLimits } from '../../dashboard/auth/login-limiter.js';
import type { SessionPolicy } from '../../dashboard/auth/sessions.js';
import { UserError } from '../../dashboard/auth/users.js';

export const FAST_SCRYPT = { N: 16_384, r: 8, p: 1 };
export const POLICY: SessionPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };
export const LIMITS: LoginLimits = {
  windowMs: 15 * 60_000,
  perAccountAndAddress: 3,
  perAddress: 6,
  guessedAfter: 3,
  slowdownMs: 1_000,
};

/** What an adapter opens a store with: the clock all instances of one test share. */
export interface StoreSettings {
  now: () => number;
  sessions: SessionPolicy;
  scrypt: typeof FAST_SCRYPT;
  loginLimits: LoginLimits;
}

/** Storage for auth stores, empty at first: `open` gives a new instance (another node) on it. */
export type OpenAuthStorage = () => Promise<{
  open(settings: StoreSettings): Promise<AuthStore>;
  cleanup(): Promise<void>;
}>;

const T0 = Date.parse('2026-11-22T08:00:00Z');
const cookie = (value: string) => ({ cookieHeader: `kf_session=${value}` });

/** Behaviour every auth store must show: people, sessions, integration tokens, the login limiter. */
export function describeAuthStoreContract(name: string, openStorage: OpenAuthStorage): void {
  describe(`AuthStore contract: ${name}`, () => {
    const instances: Auth[] = [];
    const cleanups: Array<() => Promise<void>> = [];
    let nowMs = T0;
    afterEach(async () => {
      for (const auth of instances.splice(0)) await auth.close();
      for (const cleanup of cleanups.splice(0)) await cleanup();
      nowMs = T0;
    });
    /** Opens `count` instances on one new storage. */
    async function nodes(count: number): Promise<Auth[]> {
      const { open, cleanup } = await openStorage();
      cleanups.push(cleanup);
      const opened: Auth[] = [];
      for (let i = 0; i < count; i++) {
        const settings = { now: () => nowMs, sessions: POLICY, scrypt: FAST_SCRYPT, loginLimits: LIMITS };
        const store = await open(settings);
        const auth = openAuth({ store, now: settings.now, sessions: POLICY, audit: store.audit ?? memoryAudit() });
        instances.push(auth);
        opened.push(auth);
      }
      return opened;
    }
    const person = (username: string, role: 'admin' | 'operator' = 'operator') => ({
      username,
      displayName: `Test ${username}`,
      role,
      password: `${username}-password-1`,
      mustChangePassword: false,
    });

    test('people: created once, listed by name, authenticated by password, refused when disabled', async () => {
      const [auth] = await nodes(1);
      await auth!.users.create(person('wang'));
      await auth!.users.create(person('li', 'admin'));
      await expect(auth!.users.create(person('wang'))).rejects.toMatchObject({ code: 'USER_EXISTS' });
      expect((await auth!.users.list()).map((u) => u.username)).toEqual(['li', 'wang']);
      expect(await auth!.users.count()).toBe(2);
      expect(await auth!.users.authenticate('wang', 'wang-password-1')).toMatchObject({ username: 'wang', role: 'operator' });
      expect(await auth!.users.authenticate('wang', 'wrong')).toBeUndefined();
      expect(await auth!.users.authenticate('nobody', 'wrong')).toBeUndefined();
      expect(await auth!.users.update('wang', { disabled: true, displayName: 'Wang' })).toMatchObject({
        disabled: true,
        displayName: 'Wang',
        role: 'operator',
      });
      expect(await auth!.users.authenticate('wang', 'wang-password-1')).toBeUndefined();
      await expect(auth!.users.update('nobody', { disabled: true })).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    });

    test('the last enabled admin cannot be disabled or demoted, even by two nodes at once', async () => {
      const [a, b] = await nodes(2);
      await a!.users.create(person('li', 'admin'));
      await a!.users.create(person('zhao', 'admin'));
      const results = await Promise.allSettled([
        a!.users.update('li', { role: 'operator' }),
        b!.users.update('zhao', { disabled: true }),
      ]);
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(UserError);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'LAST_ADMIN' });
      const admins = (await b!.users.list()).filter((u) => u.role === 'admin' && !u.disabled);
      expect(admins).toHaveLength(1);
    });

    test('nodes starting at once on empty storage make one first admin between them, and neither fails', async () => {
      const [a, b] = await nodes(2);
      const results = await Promise.all([ensureFirstAdmin(a!, undefined), ensureFirstAdmin(b!, undefined)]);
      // One node made the admin and prints its one-time password; the other found it made.
      expect(results.filter((r) => r?.oneTimePassword !== undefined)).toHaveLength(1);
      expect((await b!.users.list()).map((u) => [u.username, u.role])).toEqual([['admin', 'admin']]);
    });

    test('a session made on one node is valid on another; signed out on one, it is refused on both', async () => {
      const [a, b] = await nodes(2);
      await a!.users.create(person('wang'));
      const { cookieValue, session } = await a!.sessions.open('wang', '127.0.0.1');
      const onB = await b!.authenticate(cookie(cookieValue));
      expect(onB).toMatchObject({ kind: 'session', name: 'wang', csrfToken: session.csrfToken });
      await a!.sessions.close(session.key);
      expect(await b!.authenticate(cookie(cookieValue))).toBeNull();
      expect(await b!.isStillValid(onB!)).toBe(false);
    });

    test('an account disabled on one node ends its sessions on every node', async () => {
      const [a, b] = await nodes(2);
      await a!.users.create(person('wang'));
      await a!.users.create(person('li', 'admin'));
      const { cookieValue } = await b!.sessions.open('wang', '127.0.0.1');
      const principal = await b!.authenticate(cookie(cookieValue));
      await a!.users.update('wang', { disabled: true });
      expect(await b!.isStillValid(principal!)).toBe(false);
      expect(await b!.authenticate(cookie(cookieValue))).toBeNull();
    });

    test('every session of a person but one can be ended at once', async () => {
      const [a, b] = await nodes(2);
      await a!.users.create(person('wang'));
      const kept = await a!.sessions.open('wang', '127.0.0.1');
      const other = await b!.sessions.open('wang', '127.0.0.2');
      expect(await b!.sessions.closeAllOf('wang', kept.session.key)).toEqual([other.session.key]);
      expect(await a!.authenticate(cookie(kept.cookieValue))).toMatchObject({ name: 'wang' });
      expect(await a!.authenticate(cookie(other.cookieValue))).toBeNull();
    });

    test('a session unused longer than the idle limit, or older than the absolute one, ends', async () => {
      const [a, b] = await nodes(2);
      await a!.users.create(person('wang'));
      const idle = await a!.sessions.open('wang', '127.0.0.1');
      nowMs += POLICY.idleMs - 1_000;
      const busy = await a!.sessions.open('wang', '127.0.0.1');
      nowMs += 2_000;
      expect(await b!.authenticate(cookie(idle.cookieValue))).toBeNull();
      expect(await b!.authenticate(cookie(busy.cookieValue))).toMatchObject({ name: 'wang' });
      // Used every 20 minutes, it lives until the absolute limit, then ends.
      while (nowMs < T0 + POLICY.absoluteMs - 20 * 60_000) {
        nowMs += 20 * 60_000;
        expect(await a!.authenticate(cookie(busy.cookieValue))).toMatchObject({ name: 'wang' });
      }
      nowMs = T0 + POLICY.idleMs + POLICY.absoluteMs;
      expect(await a!.authenticate(cookie(busy.cookieValue))).toBeNull();
    });

    test('an integration token issued on one node works on another until revoked on either', async () => {
      const [a, b] = await nodes(2);
      const { token, secret } = await a!.tokens.issue({ name: 'courier app', role: 'courier', createdBy: 'li' });
      expect(await b!.authenticate({ bearer: secret })).toMatchObject({ kind: 'token', name: 'courier app', tokenId: token.id });
      expect(await b!.tokens.list()).toEqual([expect.objectContaining({ id: token.id, lastUsedAt: new Date(T0).toISOString() })]);
      expect(await b!.tokens.revoke(token.id)).toBe(true);
      expect(await b!.tokens.revoke(token.id)).toBe(false);
      expect(await a!.authenticate({ bearer: secret })).toBeNull();
      expect(await a!.tokens.isLive(token.id)).toBe(false);
      const again = await a!.tokens.issue({ name: 'lending', role: 'lending', createdBy: 'system' });
      await b!.tokens.revokeNamed('lending');
      expect(await a!.authenticate({ bearer: again.secret })).toBeNull();
    });

    test('the login limiter: a pair waits after its failures, a right password forgives the pair, a guessed account is reported once', async () => {
      const [auth] = await nodes(1);
      const limiter = auth!.limiter;
      const reported: unknown[] = [];
      for (let i = 0; i < LIMITS.perAccountAndAddress; i++) {
        expect(await limiter.retryAfterSeconds('10.0.0.1', 'wang')).toBe(0);
        const guessed = await limiter.recordFailure('10.0.0.1', 'wang');
        if (guessed) reported.push(guessed);
        nowMs += 1_000;
      }
      expect(await limiter.retryAfterSeconds('10.0.0.1', 'wang')).toBe(LIMITS.windowMs / 1000 - 3);
      expect(await limiter.retryAfterSeconds('10.0.0.2', 'wang')).toBe(0);
      expect(reported).toEqual([{ username: 'wang', failures: 3, addresses: 1, sinceMs: T0 }]);
      expect(await limiter.slowdownMs('wang')).toBe(LIMITS.slowdownMs);
      expect(await limiter.guessed()).toEqual([{ username: 'wang', failures: 3, addresses: 1, sinceMs: T0 }]);
      expect(await limiter.recordFailure('10.0.0.2', 'wang')).toBeNull(); // reported once per wave
      await limiter.recordSuccess('10.0.0.1', 'wang');
      expect(await limiter.retryAfterSeconds('10.0.0.1', 'wang')).toBe(0);
      nowMs += LIMITS.windowMs;
      expect(await limiter.guessed()).toEqual([]);
      expect(await limiter.slowdownMs('wang')).toBe(0);
    });

    test('a name or address with a NUL character is counted, not an error', async () => {
      const [auth] = await nodes(1);
      expect(await auth!.limiter.recordFailure('10.0.0.1', 'wang\u0000x')).toBeNull();
      expect(await auth!.limiter.retryAfterSeconds('10.0.0.1', 'wang\u0000x')).toBe(0);
    });
  });
}

/** An audit log for stores that keep none of their own (PostgreSQL's is its own store). */
const memoryAudit = () => createSqliteAuditLog(openAuthDb(':memory:'));
