import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { AlertNoticeFacts } from '../../collector/domain/notification-rules.js';
import type { FleetHealth, FleetHealthEvents } from '../../collector/health/fleet-health.js';
import type { NotificationDispatcher } from '../../collector/notify/dispatcher.js';
import type { NotificationOutbox } from '../../collector/notify/notification-outbox.js';
import { notifyConfigSchema } from '../../collector/notify/notify-config.js';
import { openSqliteNotificationOutbox } from '../../collector/notify/sqlite-notification-outbox.js';
import { startNotifications } from '../../collector/notify/start-notifications.js';
import { ManualScheduler } from '../support/manual-scheduler.js';

export const T0 = Date.parse('2026-11-22T00:30:00Z');
const HOUR = 3_600_000;

/** One alert notice as the alert engine's events become them. */
export const alertFacts = (n: number, overrides: Partial<AlertNoticeFacts> = {}): AlertNoticeFacts => ({
  kind: 'opened',
  alertId: `AL-${n}`,
  kioskId: `K-${String(n).padStart(3, '0')}`,
  kioskName: `望京社区服务站自助图书馆 ${n} 号`,
  district: `区 ${n}`,
  component: 'rfid_reader',
  severity: 'critical',
  title: 'rfid reader: RFID_TIMEOUT',
  openedAtMs: T0,
  deadlineAtMs: T0 + 24 * HOUR,
  step: null,
  percent: null,
  by: null,
  atMs: T0,
  ...overrides,
});

/**
 * The notification service alone, as the platform builds it, on a real outbox file and a manual
 * clock: `advance` moves the clock, running what falls due and waiting for the sends it starts.
 */
export async function startNotifyWorld(
  settings: { channels: unknown[]; rules?: unknown[]; groupWindowMs?: number; retry?: object },
  scheduler = new ManualScheduler(T0),
) {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-notify-'));
  const file = join(dir, 'notifications.sqlite');
  const config = notifyConfigSchema.parse({
    rules: [{ channels: settings.channels.map((c) => (c as { name: string }).name), kinds: ['opened', 'escalated', 'resolved'] }],
    groupWindowMs: 0,
    ...settings,
  });
  // The alert engine's events and policy only: these tests hand notices to the dispatcher directly.
  const health = Object.assign(new EventEmitter<FleetHealthEvents>(), {
    policy: { promiseMs: 24 * HOUR, stepsPercent: [50, 80, 100] },
  }) as unknown as FleetHealth;
  let outbox: NotificationOutbox | null = null;
  let dispatcher: NotificationDispatcher | null = null;
  const start = () => {
    outbox = openSqliteNotificationOutbox({ file });
    dispatcher = startNotifications({
      config,
      health,
      outbox,
      kioskInfo: () => undefined,
      timeZone: 'Asia/Shanghai',
      publicUrl: 'https://fleet.library.example',
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      scheduler,
    });
    return dispatcher;
  };
  /** What SIGTERM does to it: the dispatcher stops, then the outbox file is closed. */
  const stop = async () => {
    await dispatcher?.stop();
    await outbox?.close();
    dispatcher = null;
    outbox = null;
  };
  start();
  return {
    scheduler,
    file,
    get notifications() {
      return dispatcher!;
    },
    get outbox() {
      return outbox!;
    },
    start,
    stop,
    advance: (ms: number) => scheduler.advance(ms, async () => dispatcher?.idle()),
    async cleanup() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A webhook receiver that keeps the idempotency keys it saw, as the docs ask receivers to: a
 * repeat is answered 200 and not taken again. `isDown` answers 503; `answerDelayMs` delays the answer.
 */
export async function startIdempotentWebhook() {
  const state = { isDown: false, answerDelayMs: 0 };
  const attempts: { key: string | undefined; body: Record<string, unknown> }[] = [];
  const taken = new Map<string, Record<string, unknown>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const key = req.headers['idempotency-key'] as string | undefined;
      attempts.push({ key, body });
      const answer = () => {
        if (state.isDown) return res.writeHead(503).end('{"error":"down"}');
        if (key && !taken.has(key)) taken.set(key, body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      };
      if (state.answerDelayMs > 0) setTimeout(answer, state.answerDelayMs);
      else answer();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    state,
    attempts,
    /** Bodies taken, one per idempotency key, in the order they first arrived. */
    taken: () => [...taken.values()],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
