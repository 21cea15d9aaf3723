import nodemailer from 'nodemailer';
import type { ChannelMessage, NotificationChannel, SendContext } from './channel.js';
import { truncateUtf8 } from './byte-limit.js';
import { type MessageStyle, messageTextOf } from './message-text.js';
import type { ChannelConfig } from './notify-config.js';
import { ChannelError } from './channel.js';

/** Machines listed in one e-mail before "… and N more". */
const MAX_LINES = 200;
const GREEN = '#2e7d32';
const RED = '#d32f2f';

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);

/** The e-mail: the headline as subject; plain text and HTML (green for good news, red for critical). */
export function emailContent(message: ChannelMessage, context: Pick<SendContext, 'delayedMs' | 'nowMs'>, style: MessageStyle) {
  const text = messageTextOf(message, context, style);
  const lines = text.items.slice(0, MAX_LINES);
  if (text.items.length > MAX_LINES) lines.push(text.more(text.items.length - MAX_LINES));
  const colour = text.isGoodNews ? GREEN : text.severity === 'critical' ? RED : null;
  const html = [
    `<h3${colour ? ` style="color:${colour}"` : ''}>${escapeHtml(text.headline)}</h3>`,
    `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
  ].join('\n');
  // RFC 5322 advises lines of at most 998 bytes; a subject is one header line.
  return { subject: truncateUtf8(text.headline, 900), text: [text.headline, '', ...lines].join('\n'), html };
}

/**
 * E-mail over SMTP with nodemailer. A refused connection, a time-out or a 4xx reply (mailbox
 * busy, greylisting) is retried; a 5xx reply is not. A recipient refused (550) while others took
 * it is not a delivery: the message is held for a person, not sent again to those who have it.
 * Every try has the same Message-ID (from the idempotency key), so a mail client shows repeats once.
 */
export function createEmailChannel(
  config: Extract<ChannelConfig, { type: 'email' }>,
  options: { timeoutMs: number; style: MessageStyle },
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
  const where = `SMTP ${config.smtp.host}:${config.smtp.port}`;
  return {
    name: config.name,
    type: 'email',
    isIdempotent: true,
    ratePerMinute: config.ratePerMinute ?? null,
    async send(message, context) {
      const content = emailContent(message, context, options.style);
      let info: { rejected?: unknown[]; accepted?: unknown[] };
      try {
        info = (await transport.sendMail({
          from: config.from,
          to: config.to,
          messageId: `<${context.idempotencyKey}@kiosk-fleet>`,
          ...content,
        })) as typeof info;
      } catch (error) {
        const responseCode = (error as { responseCode?: number }).responseCode;
        const isPermanent = responseCode !== undefined && responseCode >= 500;
        throw new ChannelError(`${where}: ${(error as Error).message}`, !isPermanent, { cause: error });
      }
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length > 0) {
        throw new ChannelError(`${where}: refused for ${rejected.join(', ')} (others took it)`, false);
      }
    },
    close: () => transport.close(),
  };
}
