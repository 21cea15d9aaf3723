import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { NotificationOutbox } from '../../collector/notify/notification-outbox.js';
import { openSqliteNotificationOutbox } from '../../collector/notify/sqlite-notification-outbox.js';
import { describeNotificationOutboxContract, facts } from '../contract/notification-outbox-contract.js';

describeNotificationOutboxContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-outbox-'));
  const file = join(dir, 'notifications.sqlite');
  const opened: NotificationOutbox[] = [];
  const openOne = async () => {
    const outbox = openSqliteNotificationOutbox({ file });
    opened.push(outbox);
    return outbox;
  };
  return {
    outbox: await openOne(),
    reopen: openOne,
    async cleanup() {
      for (const outbox of opened) await outbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('the SQLite outbox file', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('is readable by its owner only, with its WAL files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-outbox-'));
    const file = join(dir, 'notifications.sqlite');
    const outbox = openSqliteNotificationOutbox({ file });
    try {
      const n = facts('AL-1');
      await outbox.add([
        {
          channel: 'hook',
          message: {
            source: 'alerts',
            id: 'x',
            kind: 'opened',
            step: null,
            percent: null,
            district: null,
            severity: 'critical',
            notices: [n],
          },
          groupKey: null,
          noticeKeys: [],
          alertIds: ['AL-1'],
          createdMs: 0,
          dueMs: 0,
          expiresMs: 1,
        },
      ]);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(((await stat(f)).mode & 0o777).toString(8)).toBe('600');
    } finally {
      await outbox.close();
    }
  });
});
