import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteIndicatorTargets } from '../../dashboard/reports/sqlite-indicator-targets.js';
import { describeIndicatorTargetsContract } from '../contract/indicator-targets-contract.js';

describeIndicatorTargetsContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-targets-'));
  return {
    open: () => openSqliteIndicatorTargets(join(dir, 'reports.sqlite')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
