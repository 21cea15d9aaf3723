import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import type { FirstExport } from '../../collector/domain/circulation.js';
import type { ExportLog } from '../../dashboard/exports/export-log.js';
import { EXPORT_LOG_COMPONENT, openPostgresExportLog } from '../../dashboard/exports/postgres-export-log.js';
import { openSqliteExportLog } from '../../dashboard/exports/sqlite-export-log.js';
import { describeExportLogContract } from '../contract/export-log-contract.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../support/postgres.js';

describeExportLogContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-export-log-'));
  const log = openSqliteExportLog(join(dir, 'reports.sqlite'));
  return {
    log,
    async cleanup() {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe.skipIf(skipWithoutPostgres)('export log on PostgreSQL', () => {
  const postgres = usePostgres();

  describeExportLogContract('PostgreSQL', async () => {
    const database = await postgres.createDatabase();
    const log = await openPostgresExportLog({ url: database.url });
    return {
      log,
      async cleanup() {
        await log.close();
        await database.drop();
      },
    };
  });

  describe('shared by several nodes', () => {
    let database: TestDatabase | undefined;
    const logs: ExportLog[] = [];
    afterEach(async () => {
      for (const log of logs.splice(0)) await log.close();
      await database?.drop();
    });
    async function openNode(): Promise<ExportLog> {
      const log = await openPostgresExportLog({ url: database!.url });
      logs.push(log);
      return log;
    }

    test('two nodes starting at once migrate it once; a month exported on one is an earlier export on the other', async () => {
      database = await postgres.createDatabase();
      const [nodeA, nodeB] = await Promise.all([openNode(), openNode()]);

      expect(
        await postgres.psql(`SELECT count(*) FROM schema_migrations WHERE component = '${EXPORT_LOG_COMPONENT}'`, database.name),
      ).toBe('1');
      await nodeA.recordExport('fleet', [{ month: '2023-01', loans: 10, returns: 20 }], 1_000);
      expect([...(await nodeB.recordExport('fleet', [{ month: '2023-01', loans: 11, returns: 20 }], 2_000))]).toEqual([
        ['2023-01', { figures: { loans: 10, returns: 20, total: 30 }, exportedMs: 1_000 }],
      ]);
    });

    test('when two nodes export the same new months at once, one export is first and the other is told of it', async () => {
      database = await postgres.createDatabase();
      const [nodeA, nodeB] = await Promise.all([openNode(), openNode()]);
      const months = (loans: number) =>
        Array.from({ length: 12 }, (_, i) => ({ month: `2023-${String(i + 1).padStart(2, '0')}`, loans, returns: 0 }));
      // A third writer holds June uncommitted, so both nodes stop there with the months they got to
      // locked: in opposite orders they would deadlock once it lets go.
      const blocker = new pg.Client({ connectionString: database.url });
      await blocker.connect();
      let results: Array<Map<string, FirstExport>> = [];
      try {
        await blocker.query('BEGIN');
        await blocker.query(`INSERT INTO report_exports VALUES ('fleet', '2023-06', 0, 0, 0, 0, 0, 0)`);
        const exports = [nodeA.recordExport('fleet', months(1), 1_000), nodeB.recordExport('fleet', months(2).reverse(), 2_000)];
        const waiting = async () =>
          (
            await blocker.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0]!.n;
        await expect.poll(waiting).toBe(2);
        await blocker.query('ROLLBACK');
        results = await Promise.all(exports);
      } finally {
        await blocker.end();
      }

      const [fromA, fromB] = results as [Map<string, FirstExport>, Map<string, FirstExport>];
      // Every month has exactly one first export, and the node that came second was told of it.
      const firsts = await nodeA.firstExports(
        'fleet',
        months(0).map((m) => m.month),
      );
      expect(firsts.size).toBe(12);
      for (const [month, first] of firsts) {
        const [firstNode, secondNode] = first.exportedMs === 1_000 ? [fromA, fromB] : [fromB, fromA];
        expect(firstNode.has(month)).toBe(false);
        expect(secondNode.get(month)).toEqual(first);
      }
    });
  });
});
