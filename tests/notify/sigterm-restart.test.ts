import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { groupNotices } from '../../collector/domain/notification-rules.js';
import { openSqliteNotificationOutbox } from '../../collector/notify/sqlite-notification-outbox.js';
import { LOOPBACK_SETTINGS } from '../../config/config.js';
import { type Child, spawnCli } from '../faults/fault-harness.js';
import { alertFacts, startIdempotentWebhook } from './notify-harness.js';

describe('the platform stopped with SIGTERM while messages wait for a receiver that is down', () => {
  let dir: string;
  let hook: Awaited<ReturnType<typeof startIdempotentWebhook>> | undefined;
  let child: Child | undefined;
  afterAll(async () => {
    child?.process.kill('SIGKILL');
    await hook?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('exits 0, and the next start sends every waiting message, once each', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-sigterm-'));
    hook = await startIdempotentWebhook();
    hook.state.isDown = true;
    await writeFile(
      join(dir, 'notify.json'),
      JSON.stringify({
        channels: [{ name: 'hook', type: 'webhook', url: hook.url }],
        rules: [{ channels: ['hook'] }],
        retry: { initialDelayMs: 100, maxDelayMs: 200 },
      }),
    );
    // Three alerts' messages recorded before the stop (as the dispatcher records them).
    const outbox = openSqliteNotificationOutbox({ file: join(dir, 'notifications.sqlite') });
    const now = Date.now();
    await outbox.add(
      [1, 2, 3].map((n) => ({
        channel: 'hook',
        message: groupNotices([alertFacts(n)])[0]!,
        groupKey: null,
        noticeKeys: [`AL-${n}|opened|`],
        alertIds: [`AL-${n}`],
        createdMs: now,
        dueMs: now,
        expiresMs: now + 3_600_000,
      })),
    );
    await outbox.close();
    const env = { ...LOOPBACK_SETTINGS, LOG_LEVEL: 'info', DATA_DIR: dir, NOTIFY_CONFIG: join(dir, 'notify.json') };

    child = await spawnCli('start', env, 'platform running');
    await expect.poll(() => hook!.attempts.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(hook.taken()).toEqual([]);

    hook.state.isDown = false;
    child = await spawnCli('start', env, 'platform running');
    await expect
      .poll(
        () =>
          hook!
            .taken()
            .flatMap((b) => (b.alerts as { alertId: string }[]).map((a) => a.alertId))
            .sort(),
        {
          timeout: 10_000,
        },
      )
      .toEqual(['AL-1', 'AL-2', 'AL-3']);
    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    // Every try of one message carried its key: the receiver took each once.
    expect(new Set(hook.attempts.map((a) => a.key)).size).toBe(3);
  }, 60_000);
});
