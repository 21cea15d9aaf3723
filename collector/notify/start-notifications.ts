import type { Logger } from 'pino';
import type { FleetHealth } from '../health/fleet-health.js';
import { fleetTimeFormatter, type NotificationChannel } from './channel.js';
import { createDingtalkChannel } from './dingtalk.js';
import { NotificationDispatcher } from './dispatcher.js';
import { createEmailChannel } from './email.js';
import type { ChannelConfig, NotifyConfig } from './notify-config.js';
import { createWebhookChannel } from './webhook.js';
import { createWecomChannel } from './wecom.js';

export interface NotificationsStartOptions {
  config: NotifyConfig;
  health: FleetHealth;
  kioskInfo: (kioskId: string) => { name: string; district: string | null } | undefined;
  /** Local times in messages are in the fleet's zone. */
  timeZone: string;
  logger: Logger;
  now?: () => number;
}

function createChannel(
  config: ChannelConfig,
  options: { timeoutMs: number; formatTime: (ms: number) => string; now: () => number },
): NotificationChannel {
  switch (config.type) {
    case 'webhook':
      return createWebhookChannel(config, options);
    case 'wecom':
      return createWecomChannel(config, options);
    case 'dingtalk':
      return createDingtalkChannel(config, options);
    case 'email':
      return createEmailChannel(config, options);
  }
}

/** The notifiers of fleet-health alerts and escalations, as the settings file describes them. */
export function startNotifications(options: NotificationsStartOptions): NotificationDispatcher {
  const { config } = options;
  const now = options.now ?? Date.now;
  const formatTime = fleetTimeFormatter(options.timeZone);
  const logger = options.logger.child({ component: 'notify' });
  const dispatcher = new NotificationDispatcher({
    health: options.health,
    channels: config.channels.map((c) => createChannel(c, { timeoutMs: config.retry.timeoutMs, formatTime, now })),
    rules: config.rules,
    groupWindowMs: config.groupWindowMs,
    retry: config.retry,
    maxQueuedPerChannel: config.maxQueuedPerChannel,
    kioskInfo: options.kioskInfo,
    logger,
    now,
  });
  dispatcher.start();
  logger.info({ channels: config.channels.map((c) => `${c.name} (${c.type})`) }, 'notifications on');
  return dispatcher;
}
