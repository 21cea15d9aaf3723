import { headlineText, timeLeftText } from '../domain/notification-text.js';
import type { NotificationMessage } from '../domain/notification-rules.js';
import { type PlatformMessage, platformHeadlineOf } from '../domain/platform-notices.js';
import type { NotificationChannel, SendContext, TestMessage } from './channel.js';
import { postJson } from './http-post.js';
import { alertUrlOf, type MessageStyle } from './message-text.js';
import type { ChannelConfig } from './notify-config.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The header carrying the idempotency key (the same value as the body's `idempotencyKey`). */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** What every webhook body starts with: who sends, the key that stays the same across retries, when. */
function envelopeOf(context: SendContext) {
  return {
    source: 'kiosk-fleet' as const,
    idempotencyKey: context.idempotencyKey,
    sentAt: iso(context.nowMs),
    /** Since the message was first recorded (a receiver that was down gets it late). */
    delayedMs: context.delayedMs,
  };
}

/** The generic webhook's JSON body (docs/notifications.md): every alert of the message, times in ISO 8601. */
export function webhookPayload(message: NotificationMessage, context: SendContext, style: MessageStyle) {
  return {
    type: 'alert' as const,
    ...envelopeOf(context),
    messageId: message.id,
    kind: message.kind,
    step: message.step,
    percent: message.percent,
    district: message.district,
    severity: message.severity,
    language: style.language,
    headline: headlineText(message, style.language),
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
      /** Until the deadline at sending time; negative once overdue. */
      timeLeftMs: n.deadlineAtMs - context.nowMs,
      timeLeft: timeLeftText(n.deadlineAtMs, context.nowMs, style.language),
      url: style.publicUrl ? alertUrlOf(style.publicUrl, n.alertId) : null,
      by: n.by,
      at: iso(n.atMs),
    })),
  };
}
export type WebhookPayload = ReturnType<typeof webhookPayload>;

/** The generic webhook's body for notices about the platform itself: `type: 'platform'` tells it from an alert. */
export function platformWebhookPayload(message: PlatformMessage, context: SendContext) {
  return {
    type: 'platform' as const,
    ...envelopeOf(context),
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
  };
}
export type PlatformWebhookPayload = ReturnType<typeof platformWebhookPayload>;

/** A test a person sent from the dashboard: `type: 'test'`. */
export function testWebhookPayload(message: TestMessage, context: SendContext) {
  return { type: 'test' as const, ...envelopeOf(context), messageId: message.id, requestedBy: message.requestedBy };
}

/**
 * A generic JSON webhook: POST {@link webhookPayload}, {@link platformWebhookPayload} or
 * {@link testWebhookPayload}; any 2xx is accepted. Every try of one message carries the same
 * idempotency key (header and body), so a receiver that keeps the keys it saw takes it once.
 */
export function createWebhookChannel(
  config: Extract<ChannelConfig, { type: 'webhook' }>,
  options: { timeoutMs: number; style: MessageStyle },
): NotificationChannel {
  return {
    name: config.name,
    type: 'webhook',
    isIdempotent: true,
    ratePerMinute: config.ratePerMinute ?? null,
    async send(message, context) {
      const body =
        message.source === 'platform'
          ? platformWebhookPayload(message, context)
          : message.source === 'test'
            ? testWebhookPayload(message, context)
            : webhookPayload(message, context, options.style);
      await postJson(config.url, body, {
        timeoutMs: options.timeoutMs,
        headers: { ...config.headers, [IDEMPOTENCY_HEADER]: context.idempotencyKey },
      });
    },
  };
}
