import { headlineOf, type NotificationMessage } from '../domain/notification-rules.js';
import type { NotificationChannel } from './channel.js';
import { postJson } from './http-post.js';
import type { ChannelConfig } from './notify-config.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The generic webhook's JSON body (docs/notifications.md): every alert of the message, times in ISO 8601. */
export function webhookPayload(message: NotificationMessage, sentAtMs: number) {
  return {
    source: 'kiosk-fleet',
    messageId: message.id,
    kind: message.kind,
    step: message.step,
    percent: message.percent,
    district: message.district,
    severity: message.severity,
    headline: headlineOf(message),
    count: message.notices.length,
    alerts: message.notices.map((n) => ({
      alertId: n.alertId,
      kioskId: n.kioskId,
      kioskName: n.kioskName,
      district: n.district,
      component: n.component,
      severity: n.severity,
      title: n.title,
      openedAt: iso(n.openedAtMs),
      deadline: iso(n.deadlineAtMs),
      by: n.by,
      at: iso(n.atMs),
    })),
    sentAt: iso(sentAtMs),
  };
}
export type WebhookPayload = ReturnType<typeof webhookPayload>;

/** A generic JSON webhook: POST {@link webhookPayload}; any 2xx is accepted. */
export function createWebhookChannel(
  config: Extract<ChannelConfig, { type: 'webhook' }>,
  options: { timeoutMs: number; now: () => number },
): NotificationChannel {
  return {
    name: config.name,
    type: 'webhook',
    async send(message) {
      await postJson(config.url, webhookPayload(message, options.now()), {
        timeoutMs: options.timeoutMs,
        ...(config.headers ? { headers: config.headers } : {}),
      });
    },
  };
}
