import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openPostgresIndicatorTargets } from '../../dashboard/reports/postgres-indicator-targets.js';
import { openSqliteIndicatorTargets } from '../../dashboard/reports/sqlite-indicator-targets.js';
import { describeIndicatorTargetsContract } from '../contract/indicator-targets-contract.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';

describeIndicatorTargetsContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-targets-'));
  return {
    open: async () => openSqliteIndicatorTargets(join(dir, 'reports.sqlite')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe.skipIf(skipWithoutPostgres)('indicator targets on PostgreSQL', () => {
  const postgres = usePostgres();
  describeIndicatorTargetsContract('PostgreSQL', async () => {
    const database = await postgres.createDatabase();
    return { open: () => openPostgresIndicatorTargets({ url: database.url }), cleanup: () => database.drop() };
  });
});
