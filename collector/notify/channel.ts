import type { NotificationMessage } from '../domain/notification-rules.js';
import type { PlatformMessage } from '../domain/platform-notices.js';

/** What a channel sends: alerts about machines, or notices about the platform itself. */
export type ChannelMessage = NotificationMessage | PlatformMessage;

/** A place messages go: a webhook, a group robot, a mailbox. One file per kind (`webhook.ts`, …). */
export interface NotificationChannel {
  readonly name: string;
  readonly type: 'webhook' | 'wecom' | 'dingtalk' | 'email';
  /** Resolves once the receiver accepted the message; rejects with a ChannelError otherwise. */
  send(message: ChannelMessage): Promise<void>;
  close?(): Promise<void> | void;
}

/** A send that failed; `isRetryable` when trying again later may succeed (a receiver down, a 5xx, a rate limit). */
export class ChannelError extends Error {
  readonly code = 'CHANNEL_SEND_FAILED';
  constructor(
    message: string,
    readonly isRetryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Local times of the fleet in messages: `2026-11-22 08:30`. */
export function fleetTimeFormatter(timeZone: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  return (ms) => format.format(ms);
}
