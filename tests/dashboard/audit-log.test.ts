import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openAuthDb } from '../../dashboard/auth/auth-db.js';
import { AUDIT_LOG_COMPONENT, openPostgresAuditLog, type PostgresAuditLog } from '../../dashboard/auth/postgres-audit-log.js';
import { createSqliteAuditLog } from '../../dashboard/auth/sqlite-audit-log.js';
import { describeAuditLogContract } from '../contract/audit-log-contract.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../support/postgres.js';

const T0 = Date.parse('2026-11-01T08:00:00Z');
const entry = (target: string) => ({
  atMs: T0,
  actor: 'wang',
  role: 'operator',
  action: 'kiosk.pause',
  target,
  address: null,
  outcome: 'ok' as const,
  detail: null,
});

describeAuditLogContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-audit-log-'));
  const db = openAuthDb(join(dir, 'users.sqlite'));
  return {
    log: createSqliteAuditLog(db),
    async cleanup() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe.skipIf(skipWithoutPostgres)('audit log on PostgreSQL', () => {
  const postgres = usePostgres();

  describeAuditLogContract('PostgreSQL', async () => {
    const database = await postgres.createDatabase();
    const log = await openPostgresAuditLog({ url: database.url });
    return {
      log,
      async cleanup() {
        await log.close();
        await database.drop();
      },
    };
  });

  describe('on a database of its own', () => {
    let database: TestDatabase | undefined;
    const logs: PostgresAuditLog[] = [];
    afterEach(async () => {
      for (const log of logs.splice(0)) await log.close();
      await database?.drop();
    });
    async function open(options: { maxPending?: number } = {}): Promise<PostgresAuditLog> {
      const log = await openPostgresAuditLog({ url: database!.url, ...options });
      logs.push(log);
      return log;
    }

    test('two nodes starting at once migrate it once, and each sees what the other recorded', async () => {
      database = await postgres.createDatabase();
      const [nodeA, nodeB] = await Promise.all([open(), open()]);
      nodeA.record(entry('from-a'));
      await nodeA.query({ limit: 1 });

      expect(
        await postgres.psql(`SELECT count(*) FROM schema_migrations WHERE component = '${AUDIT_LOG_COMPONENT}'`, database.name),
      ).toBe('1');
      expect((await nodeB.query({ limit: 10 })).map((e) => e.target)).toEqual(['from-a']);
    });

    test('the database itself refuses UPDATE, DELETE and TRUNCATE', async () => {
      database = await postgres.createDatabase();
      const log = await open();
      log.record(entry('kept'));
      await log.query({ limit: 1 });

      for (const sql of [`UPDATE audit_log SET actor = 'someone else'`, 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
        await expect(postgres.psql(sql, database.name)).rejects.toThrow(/append-only/);
      }
      expect(await log.query({ limit: 10 })).toHaveLength(1);
    });

    test('entries recorded while PostgreSQL is down are written, in order, once it is back', async () => {
      database = await postgres.createDatabase();
      const log = await open();
      log.record(entry('before'));
      await log.query({ limit: 1 });

      await postgres.stopServer();
      try {
        log.record(entry('during-1'));
        log.record(entry('during-2'));
        await expect(log.query({ limit: 10 })).rejects.toThrow();
      } finally {
        await postgres.startServer();
      }

      await expect
        .poll(async () => await postgres.psql(`SELECT string_agg(target, ',' ORDER BY seq) FROM audit_log`, database!.name))
        .toBe('before,during-1,during-2');
      expect(log.droppedCount()).toBe(0);
    });

    test('beyond maxPending entries while the database is down, new entries are dropped and counted', async () => {
      database = await postgres.createDatabase();
      const log = await open({ maxPending: 2 });
      await postgres.stopServer();
      try {
        for (const target of ['a', 'b', 'c']) log.record(entry(target));
        expect(log.droppedCount()).toBe(1);
      } finally {
        await postgres.startServer();
      }

      await expect.poll(async () => (await log.query({ limit: 10 })).map((e) => e.target)).toEqual(['b', 'a']);
    });
  });
});
