import type { Logger } from 'pino';
import { groupNotices, type AlertNoticeFacts } from '../domain/notification-rules.js';
import { ChannelError, type NotificationChannel } from './channel.js';
import type { NewOutboxEntry, NotificationOutbox, OutboxDepth, OutboxEntry } from './notification-outbox.js';
import { Pacer } from './pacer.js';
import type { Scheduler } from './scheduler.js';

export interface RetryPolicy {
  initialDelayMs: number;
  /** The ceiling of the backoff. */
  maxDelayMs: number;
}

/** How a channel is doing, for `/api/v1/health`, `/api/v1/notifications` and `/metrics`. */
export interface ChannelHealth {
  name: string;
  type: NotificationChannel['type'];
  /**
   * `ok`: nothing failing; `retrying`: the oldest message failed and will be tried again;
   * `failing`: a message is held for a person (refused, or may have arrived without an answer).
   */
  state: 'ok' | 'retrying' | 'failing';
  /** Accepted by the channel since start. */
  sent: number;
  /** Held or expired since start. */
  failed: number;
  /** The outbox's depth for this channel: pending, sending and held messages. */
  queued: number;
  held: number;
  /** The oldest message waiting, recorded this long ago; null when none waits. */
  oldestAgeMs: number | null;
  consecutiveFailures: number;
  lastSentAt: string | null;
  lastError: { at: string; message: string } | null;
}

export interface ChannelSenderOptions {
  outbox: NotificationOutbox;
  scheduler: Scheduler;
  retry: RetryPolicy;
  /** Notices at most in one digest. */
  maxDigestNotices: number;
  /** False while another process holds the outbox's lease: then this one sends nothing. */
  isLeader: () => boolean;
  /** This node's name on its claims of messages. */
  owner: string;
  /** How long a claim holds: after it, another node takes a message left `sending` over. */
  claimLeaseMs: number;
  /** Told after each change this sender made to the outbox (the dispatcher refreshes its depths). */
  onChange?: () => Promise<void>;
  logger: Logger;
  /** 0–1, for the backoff's jitter. */
  random?: () => number;
}

const STOPPED_MID_SEND = 'the platform stopped while this message was being sent';

/**
 * Sends one channel's outbox, oldest first, one at a time: within the channel's rate (a sliding
 * minute), each failure tried again with exponential backoff (±20 % jitter) up to a ceiling, for
 * as long as the message matters (the outbox expires it). A message is marked `sending` before it
 * goes, so a stop mid-send is seen at the next start. Pending alert notices of one kind, step and
 * district are merged into one digest before they go: the group window, and a backlog after an
 * outage or behind the rate limit, become one message rather than twenty.
 */
export class ChannelSender {
  private pacer: Pacer | null = null;
  private pumping: Promise<void> | null = null;
  private isAgain = false;
  private isStopped = false;
  private wake: { atMs: number; cancel: () => void } | null = null;
  private readonly stats = {
    sent: 0,
    failed: 0,
    consecutiveFailures: 0,
    lastSentAtMs: null as number | null,
    lastError: null as { atMs: number; message: string } | null,
  };

  constructor(
    readonly channel: NotificationChannel,
    private readonly options: ChannelSenderOptions,
  ) {}

  /** The pacing inherits the sends of the last minute (by any node): read once, at the first look. */
  private async pacerOf(): Promise<Pacer> {
    if (!this.pacer) {
      const now = this.options.scheduler.now();
      const sent = await this.options.outbox.sentSince(this.channel.name, now - Pacer.WINDOW_MS);
      this.pacer ??= new Pacer(this.channel.ratePerMinute, sent);
    }
    return this.pacer;
  }

  /**
   * Messages left `sending` by a process that stopped mid-send, once their claim's lease ran out:
   * tried again where repeats are harmless (webhook, e-mail), held for a person where the service
   * may have shown it (robots).
   */
  async recoverInFlight(): Promise<void> {
    const { outbox, scheduler } = this.options;
    for (const entry of await outbox.inFlight(this.channel.name, scheduler.now())) {
      if (this.channel.isIdempotent) await outbox.markRetry(entry.id, scheduler.now(), STOPPED_MID_SEND);
      else await outbox.hold(entry.id, `${STOPPED_MID_SEND}: it may have arrived, so it is not sent again without a person`);
    }
  }

  /** Looks at the outbox now (new messages, a wake-up, a person's retry). */
  kick(): void {
    if (this.isStopped) return;
    if (this.pumping) {
      this.isAgain = true;
      return;
    }
    this.pumping = this.run().finally(() => (this.pumping = null));
  }

  /** Looks again at `atMs` (kept if an earlier look is already set). */
  wakeAt(atMs: number): void {
    if (this.isStopped || (this.wake && this.wake.atMs <= atMs)) return;
    this.wake?.cancel();
    const cancel = this.options.scheduler.at(atMs, () => {
      this.wake = null;
      this.kick();
    });
    this.wake = { atMs, cancel };
  }

  /** Resolves once no send is under way. */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  stop(): void {
    this.isStopped = true;
    this.wake?.cancel();
    this.wake = null;
  }

  health(depth: OutboxDepth | undefined, nowMs: number): ChannelHealth {
    const queued = depth?.depth ?? 0;
    const held = depth?.held ?? 0;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      name: this.channel.name,
      type: this.channel.type,
      state: held > 0 ? 'failing' : this.stats.consecutiveFailures > 0 && queued > 0 ? 'retrying' : 'ok',
      sent: this.stats.sent,
      failed: this.stats.failed,
      queued,
      held,
      oldestAgeMs: depth?.oldestCreatedMs != null ? Math.max(0, nowMs - depth.oldestCreatedMs) : null,
      consecutiveFailures: this.stats.consecutiveFailures,
      lastSentAt: iso(this.stats.lastSentAtMs),
      lastError: this.stats.lastError ? { at: iso(this.stats.lastError.atMs)!, message: this.stats.lastError.message } : null,
    };
  }

  /** Counts messages the outbox expired (they stopped mattering before they could be sent). */
  countExpired(count: number): void {
    this.stats.failed += count;
  }

  private async run(): Promise<void> {
    do {
      this.isAgain = false;
      try {
        await this.sendWhatIsDue();
      } catch (error) {
        // The outbox unreachable for a moment: the dispatcher's next housekeeping round looks again.
        this.options.logger.error({ err: error, channel: this.channel.name }, 'notification outbox unreachable while sending');
      }
      await this.options.onChange?.().catch(() => undefined);
    } while (this.isAgain && !this.isStopped);
  }

  private async sendWhatIsDue(): Promise<void> {
    const { outbox, scheduler } = this.options;
    const pacer = await this.pacerOf();
    while (!this.isStopped && this.options.isLeader()) {
      const now = scheduler.now();
      const head = await outbox.head(this.channel.name);
      if (!head) return;
      if (head.expiresMs <= now) {
        this.countExpired((await outbox.expire(now)).filter((e) => e.channel === this.channel.name).length);
        continue;
      }
      if (head.dueMs > now) return this.wakeAt(head.dueMs);
      const waitMs = pacer.waitMs(now);
      if (waitMs > 0) return this.wakeAt(now + waitMs);
      const entry = await this.mergeGroup(head, now);
      // Another node (briefly also believing it sends) or a person took it first: look again.
      if (!(await outbox.claim(entry.id, this.options.owner, now, this.options.claimLeaseMs))) continue;
      pacer.record(now);
      let failure: { error: unknown } | null = null;
      try {
        await this.channel.send(entry.message, { idempotencyKey: entry.key, delayedMs: now - entry.createdMs, nowMs: now });
      } catch (error) {
        failure = { error };
      }
      if (failure) {
        await this.onFailure(entry, failure.error, now, pacer);
        continue;
      }
      await outbox.markSent(entry.id, scheduler.now());
      Object.assign(this.stats, { sent: this.stats.sent + 1, consecutiveFailures: 0, lastSentAtMs: scheduler.now() });
    }
  }

  private async onFailure(entry: OutboxEntry, error: unknown, nowMs: number, pacer: Pacer): Promise<void> {
    const { outbox, logger, retry } = this.options;
    const e =
      error instanceof ChannelError ? error : new ChannelError(String(error), true, { cause: error, mayHaveArrived: true });
    this.stats.consecutiveFailures += 1;
    this.stats.lastError = { atMs: nowMs, message: e.message };
    const log = { channel: this.channel.name, entryId: entry.id, attempts: entry.attempts + 1, err: e };
    if (e.retryAfterMs !== null) pacer.block(nowMs + e.retryAfterMs);
    if (e.mayHaveArrived && !this.channel.isIdempotent) {
      // A robot that may have shown the message: a blind resend could post it twice in the crew's group.
      await outbox.hold(entry.id, `${e.message}; it may have arrived, so it is not sent again without a person`);
      this.stats.failed += 1;
      logger.error(log, 'notification outcome unknown; held for a person');
      return;
    }
    if (!e.isRetryable) {
      await outbox.hold(entry.id, e.message);
      this.stats.failed += 1;
      logger.error(log, 'notification refused; held for a person');
      return;
    }
    const backoffMs =
      Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** entry.attempts) *
      (0.8 + 0.4 * (this.options.random ?? Math.random)());
    const dueMs = nowMs + Math.round(Math.max(backoffMs, e.retryAfterMs ?? 0));
    await outbox.markRetry(entry.id, dueMs, e.message);
    logger.warn({ ...log, retryInMs: dueMs - nowMs }, 'notification failed; will retry');
  }

  /** The head with the other pending notices of its kind, step and district, as one digest entry. */
  private async mergeGroup(head: OutboxEntry, nowMs: number): Promise<OutboxEntry> {
    if (head.message.source !== 'alerts' || head.groupKey === null || head.attempts > 0) return head;
    const group = (await this.options.outbox.pendingInGroup(this.channel.name, head.groupKey)).filter((e) => e.attempts === 0);
    if (group.length < 2) return head;
    const taken: OutboxEntry[] = [];
    const notices: AlertNoticeFacts[] = [];
    for (const entry of group) {
      if (entry.message.source !== 'alerts') continue;
      if (taken.length > 0 && notices.length + entry.message.notices.length > this.options.maxDigestNotices) break;
      taken.push(entry);
      notices.push(...entry.message.notices);
    }
    const [message] = groupNotices(notices);
    if (taken.length < 2 || !message) return head;
    const digest: NewOutboxEntry = {
      channel: this.channel.name,
      message,
      groupKey: head.groupKey,
      noticeKeys: [],
      alertIds: [...new Set(notices.map((n) => n.alertId))],
      createdMs: Math.min(...taken.map((e) => e.createdMs)),
      dueMs: nowMs,
      expiresMs: Math.max(...taken.map((e) => e.expiresMs)),
    };
    return this.options.outbox.merge(
      taken.map((e) => e.id),
      digest,
    );
  }
}
