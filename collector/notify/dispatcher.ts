import type { Logger } from 'pino';
import { type Alert, alertTitle } from '../domain/alerts.js';
import type { EscalationPolicy } from '../domain/escalation.js';
import {
  type AlertNoticeFacts,
  channelsFor,
  groupNotices,
  noticeKey,
  type NotificationRule,
  platformChannelsOf,
} from '../domain/notification-rules.js';
import { type PlatformNotice, platformMessageOf } from '../domain/platform-notices.js';
import type { AlertNotice, EscalationNotice, FleetHealth } from '../health/fleet-health.js';
import type { NotificationChannel } from './channel.js';
import { type ChannelHealth, ChannelQueue, type RetryPolicy } from './channel-queue.js';

export interface DispatcherOptions {
  /** The alert engine: its `alert` and `escalation` events are what is notified. */
  health: Pick<FleetHealth, 'on' | 'off'> & { readonly policy: EscalationPolicy };
  channels: readonly NotificationChannel[];
  rules: readonly NotificationRule[];
  groupWindowMs: number;
  retry: RetryPolicy;
  maxQueuedPerChannel: number;
  /** The registry's name and district of a machine. */
  kioskInfo: (kioskId: string) => { name: string; district: string | null } | undefined;
  logger: Logger;
  now: () => number;
}

/** The health route's name for the channels' own health: platform notices about it skip troubled channels. */
const NOTIFICATIONS_COMPONENT = 'notifications';
/** How long a stop waits for queued messages before giving them up. */
const STOP_GRACE_MS = 2_000;
/** Notice keys remembered per channel (one message per alert and step); older ones are forgotten. */
const MAX_REMEMBERED_KEYS = 100_000;

/**
 * From alert-engine events to messages: rules choose channels (severity, district, kind,
 * escalation step); each channel gets each alert's step once; notices arriving within the group
 * window go out as one message per kind, step and district (a district power cut is one message);
 * each channel sends through its own retrying queue, so a receiver that is down stalls nothing else.
 */
export class NotificationDispatcher {
  private readonly queues = new Map<string, ChannelQueue>();
  private readonly pending = new Map<string, AlertNoticeFacts[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly sentKeys = new Map<string, Set<string>>();
  private readonly onAlert = (notice: AlertNotice) => this.accept(this.factsOf(notice.kind, notice.alert, null));
  private readonly onEscalation = (notice: EscalationNotice) =>
    this.accept({
      ...this.factsOf('escalated', notice.alert, null),
      step: notice.step,
      percent: notice.percent,
      atMs: notice.escalatedAtMs,
    });

  constructor(private readonly options: DispatcherOptions) {
    for (const channel of options.channels) {
      this.queues.set(
        channel.name,
        new ChannelQueue(channel, {
          retry: options.retry,
          maxQueued: options.maxQueuedPerChannel,
          logger: options.logger,
          now: options.now,
        }),
      );
    }
  }

  start(): void {
    this.options.health.on('alert', this.onAlert);
    this.options.health.on('escalation', this.onEscalation);
  }

  /** Sends what was gathered, waits a little for it to go out, then stops every channel. */
  async stop(): Promise<void> {
    this.options.health.off('alert', this.onAlert);
    this.options.health.off('escalation', this.onEscalation);
    for (const name of [...this.pending.keys()]) this.release(name);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([Promise.all([...this.queues.values()].map((q) => q.drain())), grace]);
    clearTimeout(timer);
    await Promise.all([...this.queues.values()].map((q) => q.stop()));
  }

  health(): ChannelHealth[] {
    return [...this.queues.values()].map((q) => q.health());
  }

  /** Sends what is gathered now and waits until every channel is idle (tests, shutdown). */
  async flush(): Promise<void> {
    for (const name of [...this.pending.keys()]) this.release(name);
    await Promise.all([...this.queues.values()].map((q) => q.drain()));
  }

  /** Routes one notice; exposed for notices from elsewhere (a reservation at risk, later). */
  accept(notice: AlertNoticeFacts): void {
    const key = noticeKey(notice);
    for (const name of channelsFor(notice, this.options.rules)) {
      if (!this.queues.has(name)) continue;
      const sent = this.sentKeys.get(name) ?? new Set<string>();
      this.sentKeys.set(name, sent);
      if (sent.has(key)) continue;
      sent.add(key);
      if (sent.size > MAX_REMEMBERED_KEYS) sent.delete(sent.values().next().value!);
      this.pending.set(name, [...(this.pending.get(name) ?? []), notice]);
      if (this.options.groupWindowMs === 0) this.release(name);
      else if (!this.timers.has(name)) {
        const timer = setTimeout(() => this.release(name), this.options.groupWindowMs);
        timer.unref();
        this.timers.set(name, timer);
      }
    }
  }

  /**
   * Sends one look's platform notices, at once, to the channels of rules that take them. A channel
   * in trouble is not told of the notification component's trouble: it would only fail again, and
   * the other channels carry the news.
   */
  acceptPlatform(notices: readonly PlatformNotice[]): void {
    if (notices.length === 0) return;
    for (const name of platformChannelsOf(this.options.rules)) {
      const queue = this.queues.get(name);
      if (!queue) continue;
      const isTroubled = queue.health().state !== 'ok';
      const fit = notices.filter((n) => !(isTroubled && n.kind === 'opened' && n.component === NOTIFICATIONS_COMPONENT));
      if (fit.length > 0) queue.enqueue(platformMessageOf(fit));
    }
  }

  private release(channelName: string): void {
    const timer = this.timers.get(channelName);
    if (timer) clearTimeout(timer);
    this.timers.delete(channelName);
    const notices = this.pending.get(channelName) ?? [];
    this.pending.delete(channelName);
    const queue = this.queues.get(channelName);
    if (!queue) return;
    for (const message of groupNotices(notices)) queue.enqueue(message);
  }

  private factsOf(kind: AlertNoticeFacts['kind'], alert: Alert, by: string | null): AlertNoticeFacts {
    const kiosk = this.options.kioskInfo(alert.kioskId);
    const actor =
      by ??
      (kind === 'acknowledged'
        ? alert.acknowledged?.by
        : kind === 'assigned'
          ? alert.assignee?.by
          : kind === 'resolved'
            ? alert.resolved?.by
            : null) ??
      null;
    return {
      kind,
      alertId: alert.id,
      kioskId: alert.kioskId,
      kioskName: kiosk?.name ?? alert.kioskId,
      district: kiosk?.district ?? null,
      component: alert.component,
      severity: alert.severity,
      title: alertTitle(alert),
      openedAtMs: alert.openedAtMs,
      deadlineAtMs: alert.openedAtMs + this.options.health.policy.promiseMs,
      step: null,
      percent: null,
      by: actor,
      atMs: this.options.now(),
    };
  }
}
