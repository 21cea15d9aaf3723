import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import type { FleetHealth, FleetHealthEvents } from '../../collector/health/fleet-health.js';
import type { NotificationDispatcher } from '../../collector/notify/dispatcher.js';
import { notifyConfigSchema } from '../../collector/notify/notify-config.js';
import { openPostgresNotificationOutbox } from '../../collector/notify/postgres-notification-outbox.js';
import { startNotifications } from '../../collector/notify/start-notifications.js';
import type { NotificationOutbox } from '../../collector/notify/notification-outbox.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';
import { alertFacts, startIdempotentWebhook } from './notify-harness.js';

/* The notification outbox in PostgreSQL while the server is stopped: a notice is late, not lost. */
describe.skipIf(skipWithoutPostgres)('notices while the outbox database is stopped', () => {
  const postgres = usePostgres();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  test('a notice raised while PostgreSQL is stopped is recorded once it is back, and sent once', async () => {
    const database = await postgres.createDatabase();
    const hook = await startIdempotentWebhook();
    cleanups.push(() => hook.close());
    const outbox: NotificationOutbox = await openPostgresNotificationOutbox({ url: database.url });
    cleanups.push(() => outbox.close());
    const health = Object.assign(new EventEmitter<FleetHealthEvents>(), {
      policy: { promiseMs: 24 * 3_600_000, stepsPercent: [50, 80, 100] },
    }) as unknown as FleetHealth;
    const dispatcher: NotificationDispatcher = startNotifications({
      config: notifyConfigSchema.parse({
        channels: [{ name: 'hook', type: 'webhook', url: hook.url }],
        rules: [{ channels: ['hook'] }],
        groupWindowMs: 0,
        retry: { initialDelayMs: 100, maxDelayMs: 400, timeoutMs: 2_000 },
      }),
      health,
      outbox,
      kioskInfo: () => undefined,
      timeZone: 'Asia/Shanghai',
      publicUrl: null,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    });
    cleanups.push(() => dispatcher.stop());
    await expect.poll(() => dispatcher.isSender()).toBe(true);

    await postgres.stopServer();
    let accepting: Promise<void>;
    try {
      // Raised while the server is down: accept waits for the database (without keeping it, it fails).
      accepting = dispatcher.accept(alertFacts(1, { atMs: Date.now() }));
    } finally {
      await postgres.startServer();
    }
    await accepting;
    await expect.poll(() => hook.taken().length, { timeout: 30_000 }).toBe(1);
    expect(await postgres.psql('SELECT count(*) FROM notify_outbox', database.name)).toBe('1');
  }, 60_000);
});
