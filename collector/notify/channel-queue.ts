import type { Logger } from 'pino';
import { type ChannelMessage, ChannelError, type NotificationChannel } from './channel.js';

export interface RetryPolicy {
  /** Tries per message, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** How a channel is doing, for `/api/v1/health` and `/api/v1/notifications`. */
export interface ChannelHealth {
  name: string;
  type: NotificationChannel['type'];
  /** `ok`: last send succeeded (or none yet); `retrying`: a message is waiting to be tried again; `failing`: the last message was given up. */
  state: 'ok' | 'retrying' | 'failing';
  sent: number;
  failed: number;
  queued: number;
  consecutiveFailures: number;
  lastSentAt: string | null;
  lastError: { at: string; message: string } | null;
}

/**
 * One channel's messages, sent one at a time in order, each tried again with exponential backoff
 * (±20 % jitter) while the failure is retryable. Every channel has its own queue, so a receiver
 * that is down delays only its own messages.
 */
export class ChannelQueue {
  private readonly queue: ChannelMessage[] = [];
  private isSending = false;
  private isStopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private wakeRetry: (() => void) | null = null;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly stats: Omit<ChannelHealth, 'name' | 'type' | 'queued'> = {
    state: 'ok',
    sent: 0,
    failed: 0,
    consecutiveFailures: 0,
    lastSentAt: null,
    lastError: null,
  };

  constructor(
    readonly channel: NotificationChannel,
    private readonly options: { retry: RetryPolicy; maxQueued: number; logger: Logger; now: () => number },
  ) {}

  enqueue(message: ChannelMessage): void {
    if (this.isStopped) return;
    this.queue.push(message);
    if (this.queue.length > this.options.maxQueued) {
      this.queue.shift();
      this.stats.failed += 1;
      this.options.logger.warn({ channel: this.channel.name }, 'notification queue full: oldest message dropped');
    }
    if (!this.isSending) void this.run();
  }

  health(): ChannelHealth {
    return { name: this.channel.name, type: this.channel.type, queued: this.queue.length, ...this.stats };
  }

  /** Resolves once every queued message was sent or given up. */
  async drain(): Promise<void> {
    if (!this.isSending && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    await this.channel.close?.();
  }

  private async run(): Promise<void> {
    this.isSending = true;
    while (this.queue.length > 0 && !this.isStopped) {
      await this.deliver(this.queue[0]!);
      this.queue.shift();
    }
    this.isSending = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async deliver(message: ChannelMessage): Promise<void> {
    const { retry, logger, now } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.channel.send(message);
        Object.assign(this.stats, {
          state: 'ok',
          sent: this.stats.sent + 1,
          consecutiveFailures: 0,
          lastSentAt: new Date(now()).toISOString(),
        });
        return;
      } catch (error) {
        const isRetryable = error instanceof ChannelError ? error.isRetryable : true;
        this.stats.consecutiveFailures += 1;
        this.stats.lastError = { at: new Date(now()).toISOString(), message: (error as Error).message };
        if (!isRetryable || attempt >= retry.attempts || this.isStopped) {
          this.stats.state = 'failing';
          this.stats.failed += 1;
          logger.error(
            { channel: this.channel.name, messageId: message.id, attempts: attempt, err: error },
            'notification given up',
          );
          return;
        }
        this.stats.state = 'retrying';
        const delayMs = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1)) * (0.8 + 0.4 * Math.random());
        logger.warn(
          { channel: this.channel.name, attempt, retryInMs: Math.round(delayMs), err: error },
          'notification failed; will retry',
        );
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          this.retryTimer = setTimeout(resolve, delayMs);
        });
        this.retryTimer = null;
        this.wakeRetry = null;
        if (this.isStopped) return;
      }
    }
  }
}
