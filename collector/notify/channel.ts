import type { NotificationMessage } from '../domain/notification-rules.js';
import type { PlatformMessage } from '../domain/platform-notices.js';

/** A message a person asked for from the dashboard, to see that a channel works end to end. */
export interface TestMessage {
  source: 'test';
  id: string;
  requestedBy: string;
  atMs: number;
}

/** What a channel sends: alerts about machines, notices about the platform itself, or a test. */
export type ChannelMessage = NotificationMessage | PlatformMessage | TestMessage;

/** The languages messages are written in: Chinese for the fleet's crews by default, English per channel. */
export const MESSAGE_LANGUAGES = ['zh', 'en'] as const;
export type MessageLanguage = (typeof MESSAGE_LANGUAGES)[number];

/** What a send knows besides the message: its outbox entry and the time. */
export interface SendContext {
  /** The outbox entry's key: the same on every try of one message, so receivers can drop repeats. */
  idempotencyKey: string;
  /** Since the message was first recorded: told as "(delayed N min)" once it is worth saying. */
  delayedMs: number;
  nowMs: number;
}

/** A place messages go: a webhook, a group robot, a mailbox. One file per kind (`webhook.ts`, …). */
export interface NotificationChannel {
  readonly name: string;
  readonly type: 'webhook' | 'wecom' | 'dingtalk' | 'email';
  /**
   * True when sending the same message twice is harmless (the receiver drops repeats by the
   * idempotency key or Message-ID): a try whose outcome is unknown is then simply tried again.
   */
  readonly isIdempotent: boolean;
  /** Sends at most this many messages a minute (the service's documented limit); null: no limit. */
  readonly ratePerMinute: number | null;
  /** Resolves once the receiver accepted the message; rejects with a ChannelError otherwise. */
  send(message: ChannelMessage, context: SendContext): Promise<void>;
  close?(): Promise<void> | void;
}

/** How a failed send may be followed up. */
export interface ChannelErrorOptions {
  cause?: unknown;
  /** The request may have reached the receiver and been acted on (a time-out, a connection cut mid-answer). */
  mayHaveArrived?: boolean;
  /** The receiver's rate limit said when to come back. */
  retryAfterMs?: number;
}

/** A send that failed; `isRetryable` when trying again later may succeed (a receiver down, a 5xx, a rate limit). */
export class ChannelError extends Error {
  readonly code = 'CHANNEL_SEND_FAILED';
  readonly mayHaveArrived: boolean;
  readonly retryAfterMs: number | null;
  constructor(
    message: string,
    readonly isRetryable: boolean,
    options: ChannelErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.mayHaveArrived = options.mayHaveArrived ?? false;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** Local times of the fleet in messages, with their zone: `2026-11-22 08:30 GMT+8`. */
export function fleetTimeFormatter(timeZone: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'shortOffset',
  });
  return (ms) => format.format(ms);
}
