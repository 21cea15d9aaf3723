import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { type AuthStore, openSqliteAuthStore } from '../../dashboard/auth/auth-service.js';
import { openPostgresAuthStore } from '../../dashboard/auth/postgres-auth-store.js';
import { describeAuthStoreContract, FAST_SCRYPT, LIMITS, POLICY } from '../contract/auth-store-contract.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../support/postgres.js';

describeAuthStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-auth-store-'));
  return {
    open: async (settings) => openSqliteAuthStore({ file: join(dir, 'users.sqlite'), ...settings }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe.skipIf(skipWithoutPostgres)('accounts in PostgreSQL', () => {
  const postgres = usePostgres();

  describeAuthStoreContract('PostgreSQL', async () => {
    const database = await postgres.createDatabase();
    return { open: (settings) => openPostgresAuthStore({ url: database.url, ...settings }), cleanup: () => database.drop() };
  });

  describe('on a database of its own', () => {
    let database: TestDatabase | undefined;
    const stores: AuthStore[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await database?.drop();
      database = undefined;
    });
    const nowMs = Date.parse('2026-11-22T08:00:00Z');
    async function open(): Promise<AuthStore> {
      database ??= await postgres.createDatabase();
      const store = await openPostgresAuthStore({
        url: database.url,
        now: () => nowMs,
        sessions: POLICY,
        scrypt: FAST_SCRYPT,
        loginLimits: LIMITS,
      });
      stores.push(store);
      return store;
    }

    test('the login limiter counts failures on every node: a guesser spreading tries over the nodes is stopped as on one', async () => {
      const nodes = [await open(), await open(), await open()];
      for (let i = 0; i < LIMITS.perAccountAndAddress; i++) await nodes[i % 3]!.limiter.recordFailure('10.0.0.9', 'li');
      for (const node of nodes) expect(await node.limiter.retryAfterSeconds('10.0.0.9', 'li')).toBeGreaterThan(0);
      expect(await nodes[2]!.limiter.guessed()).toEqual([expect.objectContaining({ username: 'li', failures: 3 })]);
      // Reported once across the nodes, not once per node.
      expect(await nodes[0]!.limiter.recordFailure('10.0.0.10', 'li')).toBeNull();
    });

    test('only hashes of session cookies and token secrets are stored', async () => {
      const store = await open();
      await store.users.create({
        username: 'wang',
        displayName: 'Wang',
        role: 'operator',
        password: 'pw-123456789',
        mustChangePassword: false,
      });
      const { cookieValue } = await store.sessions.open('wang', '127.0.0.1');
      const { secret } = await store.tokens.issue({ name: 'courier', role: 'courier', createdBy: 'li' });
      const dump = await postgres.psql(
        `SELECT string_agg(s::text, ' ') FROM (SELECT row_to_json(x)::text AS s FROM sessions x UNION ALL SELECT row_to_json(y)::text FROM integration_tokens y) t`,
        database!.name,
      );
      expect(dump).toContain('wang');
      expect(dump).not.toContain(cookieValue);
      expect(dump).not.toContain(secret);
    });
  });
});
