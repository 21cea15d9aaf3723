import type { Logger } from 'pino';
import type { FleetHealth } from '../health/fleet-health.js';
import { fleetTimeFormatter, type NotificationChannel } from './channel.js';
import { createDingtalkChannel } from './dingtalk.js';
import { NotificationDispatcher } from './dispatcher.js';
import { createEmailChannel } from './email.js';
import type { MessageStyle } from './message-text.js';
import type { NotificationOutbox } from './notification-outbox.js';
import type { ChannelConfig, NotifyConfig } from './notify-config.js';
import { type Scheduler, systemScheduler } from './scheduler.js';
import { createWebhookChannel } from './webhook.js';
import { createWecomChannel } from './wecom.js';

/**
 * Neither robot documents how long it may take to answer; both usually answer within a second. A
 * robot's time-out is at least this, far beyond that, because a robot that times out may still
 * have posted the message, and it is then held for a person rather than sent twice.
 */
export const ROBOT_MIN_TIMEOUT_MS = 30_000;

export interface NotificationsStartOptions {
  config: NotifyConfig;
  health: Pick<FleetHealth, 'on' | 'off' | 'policy'>;
  outbox: NotificationOutbox;
  kioskInfo: (kioskId: string) => { name: string; district: string | null } | undefined;
  /** Local times in messages are in the fleet's zone. */
  timeZone: string;
  /** PUBLIC_URL: messages link to the alert's page under it. */
  publicUrl: string | null;
  logger: Logger;
  /** Pacing, retries and expiry run on it (tests move a manual one). */
  scheduler?: Scheduler;
  /** The wall clock, for what the services check against theirs (DingTalk's signature). */
  now?: () => number;
}

function createChannel(
  config: ChannelConfig,
  defaultTimeoutMs: number,
  style: MessageStyle,
  now: () => number,
): NotificationChannel {
  switch (config.type) {
    case 'webhook':
      return createWebhookChannel(config, { timeoutMs: config.timeoutMs ?? defaultTimeoutMs, style });
    case 'wecom':
      return createWecomChannel(config, {
        timeoutMs: config.timeoutMs ?? Math.max(defaultTimeoutMs, ROBOT_MIN_TIMEOUT_MS),
        style,
      });
    case 'dingtalk':
      return createDingtalkChannel(config, {
        timeoutMs: config.timeoutMs ?? Math.max(defaultTimeoutMs, ROBOT_MIN_TIMEOUT_MS),
        style,
        now,
      });
    case 'email':
      return createEmailChannel(config, { timeoutMs: config.timeoutMs ?? defaultTimeoutMs, style });
  }
}

/** The notifiers of fleet-health alerts and escalations, as the settings file describes them. */
export function startNotifications(options: NotificationsStartOptions): NotificationDispatcher {
  const { config } = options;
  const formatTime = fleetTimeFormatter(options.timeZone);
  const logger = options.logger.child({ component: 'notify' });
  const dispatcher = new NotificationDispatcher({
    health: options.health,
    channels: config.channels.map((c) =>
      createChannel(
        c,
        config.retry.timeoutMs,
        { language: c.language, formatTime, publicUrl: options.publicUrl },
        options.now ?? Date.now,
      ),
    ),
    rules: config.rules,
    groupWindowMs: config.groupWindowMs,
    retry: config.retry,
    outbox: options.outbox,
    scheduler: options.scheduler ?? systemScheduler,
    kioskInfo: options.kioskInfo,
    logger,
  });
  dispatcher.start();
  logger.info({ channels: config.channels.map((c) => `${c.name} (${c.type})`) }, 'notifications on');
  return dispatcher;
}
