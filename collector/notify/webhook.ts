import { headlineOf, type NotificationMessage } from '../domain/notification-rules.js';
import { type PlatformMessage, platformHeadlineOf } from '../domain/platform-notices.js';
import type { NotificationChannel } from './channel.js';
import { postJson } from './http-post.js';
import type { ChannelConfig } from './notify-config.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The generic webhook's JSON body (docs/notifications.md): every alert of the message, times in ISO 8601. */
export function webhookPayload(message: NotificationMessage, sentAtMs: number) {
  return {
    type: 'alert' as const,
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

/** The generic webhook's body for notices about the platform itself: `type: 'platform'` tells it from an alert. */
export function platformWebhookPayload(message: PlatformMessage, sentAtMs: number) {
  return {
    type: 'platform' as const,
    source: 'kiosk-fleet',
    messageId: message.id,
    headline: platformHeadlineOf(message),
    count: message.notices.length,
    notices: message.notices.map((n) => {
      const common = { kind: n.kind, since: iso(n.sinceMs), at: iso(n.atMs) };
      switch (n.kind) {
        case 'opened':
          return { ...common, component: n.component, state: n.state, detail: n.detail };
        case 'recovered':
          return { ...common, component: n.component, state: 'ok' as const, detail: n.detail, durationMs: n.durationMs };
        case 'dropped':
          return { ...common, counter: n.counter, dropped: n.count, droppedSinceStart: n.total };
      }
    }),
    sentAt: iso(sentAtMs),
  };
}
export type PlatformWebhookPayload = ReturnType<typeof platformWebhookPayload>;

/** A generic JSON webhook: POST {@link webhookPayload} or {@link platformWebhookPayload}; any 2xx is accepted. */
export function createWebhookChannel(
  config: Extract<ChannelConfig, { type: 'webhook' }>,
  options: { timeoutMs: number; now: () => number },
): NotificationChannel {
  return {
    name: config.name,
    type: 'webhook',
    async send(message) {
      const body =
        message.source === 'platform' ? platformWebhookPayload(message, options.now()) : webhookPayload(message, options.now());
      await postJson(config.url, body, {
        timeoutMs: options.timeoutMs,
        ...(config.headers ? { headers: config.headers } : {}),
      });
    },
  };
}
