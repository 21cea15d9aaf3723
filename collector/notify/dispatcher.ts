import { randomUUID } from 'node:crypto';
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
import type { ChannelMessage, NotificationChannel } from './channel.js';
import { type ChannelHealth, ChannelSender, type RetryPolicy } from './channel-sender.js';
import type {
  AlertDelivery,
  NewOutboxEntry,
  NotificationOutbox,
  OutboxDepth,
  OutboxEntry,
  OutboxEntryId,
  OutboxListQuery,
} from './notification-outbox.js';
import type { Scheduler } from './scheduler.js';
import { isDatabaseUnreachable } from '../../config/postgres-unreachable.js';
import { Backoff } from '../backoff.js';

export interface DispatcherOptions {
  /** The alert engine: its `alert` and `escalation` events are what is notified. */
  health: Pick<FleetHealth, 'on' | 'off'> & { readonly policy: EscalationPolicy };
  channels: readonly NotificationChannel[];
  rules: readonly NotificationRule[];
  groupWindowMs: number;
  retry: RetryPolicy & { maxAgeMs: number };
  outbox: NotificationOutbox;
  scheduler: Scheduler;
  /** The registry's name and district of a machine. */
  kioskInfo: (kioskId: string) => { name: string; district: string | null } | undefined;
  logger: Logger;
  /** This process's name on the outbox lease (random by default). */
  leaseOwner?: string;
  random?: () => number;
}

/** The health route's name for the channels' own health: platform notices about it skip troubled channels. */
const NOTIFICATIONS_COMPONENT = 'notifications';
/** How long a stop waits for sends under way before closing the channels (they stay in the outbox). */
const STOP_GRACE_MS = 2_000;
/** The sender's lease: renewed every third of it, so another node takes over within this after a crash. */
export const LEASE_TTL_MS = 30_000;
/**
 * How long a node's claim on a message holds: longer than any channel's send may take, so a slow
 * send is never taken over; a node that died mid-send has its message taken over after it.
 */
export const CLAIM_LEASE_MS = 2 * LEASE_TTL_MS;
/** Finished entries are kept this long (an alert's deliveries), then forgotten. */
const KEEP_DONE_MS = 30 * 86_400_000;
/** Notices at most in one digest. */
const MAX_DIGEST_NOTICES = 100;

/** The group key of an alert notice: notices with the same one may go out as one digest. */
const groupKeyOf = (n: AlertNoticeFacts) => `${n.kind}|${n.step ?? ''}|${n.district ?? ''}`;

/**
 * From alert-engine events to the outbox, and from the outbox to the channels. Rules choose the
 * channels (severity, district, kind, escalation step); each channel records each alert's step
 * once (across restarts: the outbox keeps the keys); a notice waits the group window so that a
 * district's other notices join it in one digest; each channel sends through its own paced,
 * retrying sender, so a receiver that is down stalls nothing else. Only the holder of the
 * outbox's lease sends.
 */
export class NotificationDispatcher {
  private readonly senders = new Map<string, ChannelSender>();
  private readonly leaseOwner: string;
  private isLeader = false;
  /** The outbox's depths as last read: health answers from here (sync), refreshed after each change. */
  private depths = new Map<string, OutboxDepth>();
  private isStopped = false;
  private cancelHousekeeping: (() => void) | null = null;
  private readonly onAlert = (notice: AlertNotice) => this.settle(this.accept(this.factsOf(notice.kind, notice.alert)));
  private readonly onEscalation = (notice: EscalationNotice) =>
    this.settle(
      this.accept({
        ...this.factsOf('escalated', notice.alert),
        step: notice.step,
        percent: notice.percent,
        atMs: notice.escalatedAtMs,
      }),
    );
  /** Recordings under way, so `idle` and `stop` wait for them. */
  private readonly recording = new Set<Promise<unknown>>();

  constructor(private readonly options: DispatcherOptions) {
    this.leaseOwner = options.leaseOwner ?? randomUUID();
    for (const channel of options.channels) {
      this.senders.set(
        channel.name,
        new ChannelSender(channel, {
          outbox: options.outbox,
          scheduler: options.scheduler,
          retry: options.retry,
          maxDigestNotices: MAX_DIGEST_NOTICES,
          isLeader: () => this.isLeader,
          owner: this.leaseOwner,
          claimLeaseMs: CLAIM_LEASE_MS,
          onChange: () => this.refreshDepths(),
          logger: options.logger,
          ...(options.random ? { random: options.random } : {}),
        }),
      );
    }
  }

  /** Listens to the alert engine and starts sending what the outbox holds (from before a restart too). */
  start(): void {
    this.options.health.on('alert', this.onAlert);
    this.options.health.on('escalation', this.onEscalation);
    this.housekeep();
  }

  /**
   * Stops listening and sending. Nothing is dropped: what was not sent stays in the outbox for
   * the next start; a send under way gets a moment to finish.
   */
  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    this.options.health.off('alert', this.onAlert);
    this.options.health.off('escalation', this.onEscalation);
    this.cancelHousekeeping?.();
    for (const sender of this.senders.values()) sender.stop();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([this.idle(), grace]);
    clearTimeout(timer);
    if (this.isLeader) await this.options.outbox.releaseLease(this.leaseOwner).catch(() => undefined);
    this.isLeader = false;
    await Promise.all([...this.senders.values()].map((s) => s.channel.close?.()));
  }

  health(): ChannelHealth[] {
    const now = this.options.scheduler.now();
    return [...this.senders.values()].map((s) => s.health(this.depths.get(s.channel.name), now));
  }

  /** Whether this process sends (holds the outbox's lease). */
  isSender(): boolean {
    return this.isLeader;
  }

  channelNames(): string[] {
    return [...this.senders.keys()];
  }

  /** Resolves once no channel is sending. */
  async idle(): Promise<void> {
    while (this.recording.size > 0) await Promise.allSettled([...this.recording]);
    await Promise.all([...this.senders.values()].map((s) => s.idle()));
  }

  /** Sends what is due now and waits until every channel is idle (tests, the platform's own checks). */
  async flush(): Promise<void> {
    for (const sender of this.senders.values()) sender.kick();
    await this.idle();
  }

  /** Routes one notice; exposed for notices from elsewhere (a reservation at risk, later). */
  async accept(notice: AlertNoticeFacts): Promise<void> {
    const now = this.options.scheduler.now();
    const [message] = groupNotices([notice]);
    if (!message) return;
    const entries = channelsFor(notice, this.options.rules)
      .filter((name) => this.senders.has(name))
      .map((channel) => ({
        ...this.entryOf(channel, message, now),
        groupKey: groupKeyOf(notice),
        noticeKeys: [noticeKey(notice)],
        dueMs: now + this.options.groupWindowMs,
      }));
    await this.recordKept(entries);
  }

  /**
   * Sends one look's platform notices, at once, to the channels of rules that take them. A channel
   * in trouble is not told of the notification component's trouble: it would only fail again, and
   * the other channels carry the news.
   */
  async acceptPlatform(notices: readonly PlatformNotice[]): Promise<void> {
    if (notices.length === 0) return;
    const now = this.options.scheduler.now();
    const troubled = new Set(
      this.health()
        .filter((h) => h.state !== 'ok')
        .map((h) => h.name),
    );
    const entries: NewOutboxEntry[] = [];
    for (const name of platformChannelsOf(this.options.rules)) {
      if (!this.senders.has(name)) continue;
      const fit = notices.filter((n) => !(troubled.has(name) && n.kind === 'opened' && n.component === NOTIFICATIONS_COMPONENT));
      if (fit.length > 0) entries.push(this.entryOf(name, platformMessageOf(fit), now));
    }
    await this.recordKept(entries);
  }

  /** A test message to one channel, through the outbox like any other; undefined for an unknown channel. */
  async sendTest(channel: string, requestedBy: string): Promise<OutboxEntry | undefined> {
    if (!this.senders.has(channel)) return undefined;
    const now = this.options.scheduler.now();
    return (await this.record([this.entryOf(channel, { source: 'test', id: `test:${now}`, requestedBy, atMs: now }, now)]))[0];
  }

  /** A person gives up on a message waiting or held; false if it was neither. */
  async giveUp(id: OutboxEntryId, by: string): Promise<boolean> {
    const entry = await this.options.outbox.get(id);
    const isDone = await this.options.outbox.giveUp(id, by, this.options.scheduler.now());
    await this.refreshDepths();
    if (isDone) this.options.logger.warn({ entryId: id, channel: entry?.channel, by }, 'notification given up by a person');
    if (isDone && entry) this.senders.get(entry.channel)?.kick();
    return isDone;
  }

  /** A person sends a held message again; false unless it was held. */
  async retry(id: OutboxEntryId, by: string): Promise<boolean> {
    const entry = await this.options.outbox.get(id);
    const isDone = await this.options.outbox.retry(id, by, this.options.scheduler.now());
    await this.refreshDepths();
    if (isDone && entry) this.senders.get(entry.channel)?.kick();
    return isDone;
  }

  entry(id: OutboxEntryId): Promise<OutboxEntry | undefined> {
    return this.options.outbox.get(id);
  }

  list(query: OutboxListQuery): Promise<OutboxEntry[]> {
    return this.options.outbox.list(query);
  }

  deliveriesOf(alertId: string): Promise<AlertDelivery[]> {
    return this.options.outbox.deliveriesOf(alertId);
  }

  private entryOf(channel: string, message: ChannelMessage, nowMs: number): NewOutboxEntry {
    return {
      channel,
      message,
      groupKey: null,
      noticeKeys: [],
      alertIds: message.source === 'alerts' ? message.notices.map((n) => n.alertId) : [],
      createdMs: nowMs,
      dueMs: nowMs,
      expiresMs: nowMs + this.options.retry.maxAgeMs,
    };
  }

  /** Writes entries to the outbox (on disk before any send) and wakes their channels. */
  private async record(entries: readonly NewOutboxEntry[]): Promise<OutboxEntry[]> {
    if (entries.length === 0) return [];
    const adding = this.options.outbox.add(entries);
    this.recording.add(adding);
    try {
      const added = await adding;
      for (const entry of added) this.senders.get(entry.channel)?.wakeAt(entry.dueMs);
      await this.refreshDepths();
      return added;
    } finally {
      this.recording.delete(adding);
    }
  }

  /**
   * A notice's recording, kept in memory and tried again (0.1 s doubling to 5 s) while the outbox's
   * database cannot be reached, up to the notices' age limit: an escalation that falls due during a
   * PostgreSQL restart (or the platform's own notice of that outage) goes out late, not never. A
   * notice is recorded once however often it is tried (its notice keys); a test message is not
   * kept: the person who asked for it is told at once.
   */
  private async recordKept(entries: readonly NewOutboxEntry[]): Promise<void> {
    const { scheduler, logger } = this.options;
    const firstMs = scheduler.now();
    const backoff = new Backoff();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.record(entries);
        if (attempt > 1) logger.info({ attempt }, 'notice recorded in the notification outbox once its database was back');
        return;
      } catch (error) {
        const isKept = !this.isStopped && isDatabaseUnreachable(error) && scheduler.now() - firstMs < this.options.retry.maxAgeMs;
        if (!isKept) throw error;
        if (attempt === 1)
          logger.warn({ err: error }, 'notification outbox unreachable: the notice is kept and recorded when it is back');
        const waitMs = backoff.next();
        await new Promise<void>((resolve) => scheduler.at(scheduler.now() + waitMs, resolve));
      }
    }
  }

  /** An alert-engine event's recording: a failure is logged (the engine's emit cannot wait for it). */
  private settle(recording: Promise<void>): void {
    recording.catch((error: unknown) =>
      this.options.logger.error({ err: error }, 'a notice could not be recorded in the notification outbox'),
    );
  }

  private async refreshDepths(): Promise<void> {
    try {
      this.depths = new Map((await this.options.outbox.depths()).map((d) => [d.channel, d]));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'the notification outbox depths could not be read');
    }
  }

  /** Renews the lease (taking over what a stopped sender left), expires and forgets old entries. */
  private housekeep(): void {
    if (this.isStopped) return;
    const now = this.options.scheduler.now();
    const round = this.housekeepOnce(now).finally(() => {
      this.recording.delete(round);
      if (!this.isStopped) this.cancelHousekeeping = this.options.scheduler.at(now + LEASE_TTL_MS / 3, () => this.housekeep());
    });
    this.recording.add(round);
  }

  private async housekeepOnce(now: number): Promise<void> {
    const { outbox, logger } = this.options;
    try {
      const wasLeader = this.isLeader;
      this.isLeader = await outbox.acquireLease(this.leaseOwner, now, LEASE_TTL_MS);
      if (this.isLeader && !wasLeader) logger.info({ owner: this.leaseOwner }, 'this process sends the notification outbox');
      if (this.isLeader) {
        // Every round, not only on taking the lease over: a claim outlives the lease that took it.
        for (const sender of this.senders.values()) await sender.recoverInFlight();
        for (const entry of await outbox.expire(now)) {
          logger.error({ entryId: entry.id, channel: entry.channel }, 'notification expired before it could be sent');
          this.senders.get(entry.channel)?.countExpired(1);
        }
        await outbox.prune(now - KEEP_DONE_MS);
        for (const sender of this.senders.values()) sender.kick();
      }
    } catch (error) {
      // The outbox unreachable for a moment (a busy disk, a database restart): the next round tries again.
      logger.error({ err: error }, 'notification outbox housekeeping failed');
    }
    await this.refreshDepths();
  }

  private factsOf(kind: AlertNoticeFacts['kind'], alert: Alert): AlertNoticeFacts {
    const kiosk = this.options.kioskInfo(alert.kioskId);
    const actor =
      (kind === 'acknowledged'
        ? alert.acknowledged?.by
        : kind === 'assigned'
          ? alert.assignee?.by
          : kind === 'resolved'
            ? alert.resolved?.by
            : null) ?? null;
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
      atMs: this.options.scheduler.now(),
    };
  }
}
