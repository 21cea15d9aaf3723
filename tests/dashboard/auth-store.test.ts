import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ensureFirstAdmin, openAuth, type Auth } from '../../dashboard/auth/auth-service.js';
import { DEFAULT_SCRYPT, hashPassword, parsePasswordHash, verifyPassword } from '../../dashboard/auth/passwords.js';

const FAST = { N: 16_384, r: 8, p: 1 };

describe('password hashes', () => {
  test('scrypt with 64 MiB by default, parameters and a 16-byte salt stored with the hash', async () => {
    expect(128 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r).toBe(64 * 1024 * 1024);
    const started = performance.now();
    const hash = await hashPassword('correct horse battery', DEFAULT_SCRYPT);
    const ms = performance.now() - started;
    const parsed = parsePasswordHash(hash)!;
    expect(parsed).toMatchObject({ N: 65_536, r: 8, p: 1 });
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.key).toHaveLength(32);
    expect(hash).not.toContain('correct horse');
    expect(ms).toBeGreaterThan(20); // memory-hard: not a fast hash
    expect(await hashPassword('correct horse battery', DEFAULT_SCRYPT)).not.toBe(hash); // salted
    expect(await verifyPassword('correct horse battery', hash)).toEqual({ ok: true, weakerThan: false });
    expect((await verifyPassword('correct horse batterY', hash)).ok).toBe(false);
  });

  test('a hash made with weaker parameters still verifies and says it should be raised', async () => {
    const weak = await hashPassword('pass-phrase-long', FAST);
    expect(await verifyPassword('pass-phrase-long', weak, DEFAULT_SCRYPT)).toEqual({ ok: true, weakerThan: true });
    expect((await verifyPassword('x', 'not$a$hash')).ok).toBe(false);
  });
});

describe('the users database', () => {
  let dir: string;
  let auth: Auth;
  const nowMs = Date.parse('2026-11-22T08:00:00Z');
  const open = () =>
    openAuth({
      file: join(dir, 'users.sqlite'),
      now: () => nowMs,
      sessions: { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 },
      scrypt: FAST,
    });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-auth-'));
    auth = open();
  });
  afterEach(async () => {
    await auth.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('first start with FLEET_ADMIN_PASSWORD: user admin with that password, nothing to change; later starts do nothing', async () => {
    expect(await ensureFirstAdmin(auth, 'the-chosen-admin-password')).toEqual({});
    const admin = await auth.users.authenticate('admin', 'the-chosen-admin-password');
    expect(admin).toMatchObject({ username: 'admin', role: 'admin', mustChangePassword: false });
    expect(await ensureFirstAdmin(auth, 'another-password-here')).toBeNull();
    expect(await auth.users.authenticate('admin', 'another-password-here')).toBeUndefined();
  });

  test('two starts at once on an empty store (nodes of a cluster): one creates the admin, the other goes on without error', async () => {
    const outcomes = await Promise.all([
      ensureFirstAdmin(auth, 'the-chosen-admin-password'),
      ensureFirstAdmin(auth, 'the-chosen-admin-password'),
    ]);
    expect(outcomes.filter((o) => o === null)).toHaveLength(1);
    expect(await auth.users.authenticate('admin', 'the-chosen-admin-password')).toMatchObject({ role: 'admin' });
    expect(await auth.audit.query({ limit: 10 })).toMatchObject([{ action: 'user.create', target: 'admin' }]);
  });

  test('first start without it: a one-time password, returned once, that must be changed at first login', async () => {
    const first = await ensureFirstAdmin(auth, undefined);
    expect(first?.oneTimePassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(await auth.users.authenticate('admin', first!.oneTimePassword!)).toMatchObject({ mustChangePassword: true });
    expect(await auth.audit.query({ limit: 10 })).toMatchObject([{ actor: 'system', action: 'user.create', target: 'admin' }]);
  });

  test('sessions and tokens survive a restart; a revoked token and a closed session do not', async () => {
    await ensureFirstAdmin(auth, 'the-chosen-admin-password');
    const kept = await auth.sessions.open('admin', '127.0.0.1');
    const closed = await auth.sessions.open('admin', '127.0.0.1');
    await auth.sessions.close(closed.session.key);
    const token = await auth.tokens.issue({ name: 'courier app', role: 'courier', createdBy: 'admin' });
    const revoked = await auth.tokens.issue({ name: 'old', role: 'courier', createdBy: 'admin' });
    await auth.tokens.revoke(revoked.token.id);
    await auth.close();
    auth = open();
    expect(await auth.authenticate({ cookieHeader: `kf_session=${kept.cookieValue}` })).toMatchObject({
      kind: 'session',
      name: 'admin',
    });
    expect(await auth.authenticate({ cookieHeader: `other=1; kf_session=${closed.cookieValue}` })).toBeNull();
    expect(await auth.authenticate({ bearer: token.secret })).toMatchObject({
      kind: 'token',
      name: 'courier app',
      role: 'courier',
    });
    expect(await auth.authenticate({ bearer: revoked.secret })).toBeNull();
    expect(await auth.authenticate({})).toBeUndefined();
    // Only hashes are stored.
    const db = new Database(join(dir, 'users.sqlite'), { readonly: true });
    const dump = JSON.stringify([
      db.prepare('SELECT * FROM sessions').all(),
      db.prepare('SELECT * FROM integration_tokens').all(),
    ]);
    db.close();
    expect(dump).not.toContain(kept.cookieValue);
    expect(dump).not.toContain(token.secret);
  });

  test('the audit log is append-only: the database itself refuses UPDATE and DELETE', async () => {
    auth.audit.record({
      atMs: nowMs,
      actor: 'admin',
      role: 'admin',
      action: 'user.create',
      target: 'x',
      address: null,
      outcome: 'ok',
      detail: null,
    });
    const db = new Database(join(dir, 'users.sqlite'));
    try {
      expect(() => db.prepare("UPDATE audit_log SET actor = 'someone else'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(await auth.audit.query({ limit: 10 })).toHaveLength(1);
  });
});
