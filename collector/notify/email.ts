import nodemailer from 'nodemailer';
import { headlineOf, linesOf } from '../domain/notification-rules.js';
import { platformHeadlineOf, platformLinesOf } from '../domain/platform-notices.js';
import { type ChannelMessage, ChannelError, type NotificationChannel } from './channel.js';
import type { ChannelConfig } from './notify-config.js';

/** The e-mail: the headline as subject, one line per alert (or platform notice) as plain text. */
export function emailContent(message: ChannelMessage, formatTime: (ms: number) => string): { subject: string; text: string } {
  const headline = message.source === 'platform' ? platformHeadlineOf(message) : headlineOf(message);
  const lines = message.source === 'platform' ? platformLinesOf(message, formatTime) : linesOf(message, formatTime, 200);
  const text = [headline, '', ...lines, '', `Message ${message.id}`].join('\n');
  return { subject: headline.slice(0, 200), text };
}

/**
 * E-mail over SMTP with nodemailer. A refused connection, a time-out or a 4xx reply (mailbox
 * busy, greylisting) is retried; a 5xx reply (no such mailbox) is not.
 */
export function createEmailChannel(
  config: Extract<ChannelConfig, { type: 'email' }>,
  options: { timeoutMs: number; formatTime: (ms: number) => string },
): NotificationChannel {
  const transport = nodemailer.createTransport({
    host: config.smtp.host,
    port: config.smtp.port,
    secure: config.smtp.secure,
    requireTLS: config.smtp.requireTLS,
    ...(config.smtp.auth ? { auth: config.smtp.auth } : {}),
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  return {
    name: config.name,
    type: 'email',
    async send(message) {
      const { subject, text } = emailContent(message, options.formatTime);
      try {
        await transport.sendMail({ from: config.from, to: config.to, subject, text });
      } catch (error) {
        const responseCode = (error as { responseCode?: number }).responseCode;
        const isPermanent = responseCode !== undefined && responseCode >= 500;
        throw new ChannelError(`SMTP ${config.smtp.host}:${config.smtp.port}: ${(error as Error).message}`, !isPermanent, {
          cause: error,
        });
      }
    },
    close: () => transport.close(),
  };
}
