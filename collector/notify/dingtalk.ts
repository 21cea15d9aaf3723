import { createHmac } from 'node:crypto';
import type { ChannelMessage, NotificationChannel, SendContext } from './channel.js';
import { fitToBytes, truncateUtf8, utf8Bytes } from './byte-limit.js';
import { type MessageStyle, messageTextOf } from './message-text.js';
import { postJson } from './http-post.js';
import type { ChannelConfig } from './notify-config.js';
import { checkRobotReply } from './robot-reply.js';

/** DingTalk's custom robot takes a message of at most 20,000 bytes: the whole JSON body is kept within it. */
export const DINGTALK_MAX_BODY_BYTES = 20_000;
/** The title shows in the chat list and notifications; kept short (and cut between characters). */
export const DINGTALK_MAX_TITLE_BYTES = 256;
/** 20 messages a minute per robot; beyond, DingTalk refuses everything for 10 minutes (130101). */
export const DINGTALK_RATE_PER_MINUTE = 20;
const RATE_LIMITS = [{ errcode: 130101, waitMs: 10 * 60_000 }];

const GREEN = '#2e7d32';
const RED = '#d32f2f';

/** The DingTalk group robot's markdown message: `{msgtype: 'markdown', markdown: {title, text}}`. */
export function dingtalkPayload(message: ChannelMessage, context: Pick<SendContext, 'delayedMs' | 'nowMs'>, style: MessageStyle) {
  const text = messageTextOf(message, context, style, (url, language) => `[${language === 'zh' ? '查看' : 'open'}](${url})`);
  const colour = text.isGoodNews ? GREEN : text.severity === 'critical' || text.severity === null ? RED : null;
  const heading = colour ? `#### <font color="${colour}">${text.headline}</font>` : `#### ${text.headline}`;
  const title = truncateUtf8(text.headline, DINGTALK_MAX_TITLE_BYTES);
  const payloadOf = (body: string) => ({ msgtype: 'markdown' as const, markdown: { title, text: body } });
  const body = fitToBytes({
    head: [heading],
    items: text.items.map((l) => `- ${l}`),
    more: (n) => `- ${text.more(n)}`,
    join: (lines) => lines.join('\n'),
    maxBytes: DINGTALK_MAX_BODY_BYTES,
    measure: (t) => utf8Bytes(JSON.stringify(payloadOf(t))),
  });
  return payloadOf(body);
}

/**
 * A robot with "加签" security: `timestamp` and `sign` = Base64(HMAC-SHA256(secret,
 * `${timestamp}\n${secret}`)) in the query, as DingTalk's robot documentation specifies; the
 * service refuses a timestamp more than an hour from its own clock.
 */
export function signedUrl(url: string, secret: string, nowMs: number): string {
  const sign = createHmac('sha256', secret).update(`${nowMs}\n${secret}`).digest('base64');
  const u = new URL(url);
  u.searchParams.set('timestamp', String(nowMs));
  u.searchParams.set('sign', sign);
  return u.toString();
}

export function createDingtalkChannel(
  config: Extract<ChannelConfig, { type: 'dingtalk' }>,
  options: { timeoutMs: number; style: MessageStyle; now: () => number },
): NotificationChannel {
  return {
    name: config.name,
    type: 'dingtalk',
    isIdempotent: false,
    ratePerMinute: config.ratePerMinute ?? DINGTALK_RATE_PER_MINUTE,
    async send(message, context) {
      // Signed with the wall clock, whatever clock paces the sends: the service checks it against its own.
      const url = config.secret ? signedUrl(config.url, config.secret, options.now()) : config.url;
      checkRobotReply(
        await postJson(url, dingtalkPayload(message, context, options.style), { timeoutMs: options.timeoutMs }),
        'DingTalk',
        RATE_LIMITS,
      );
    },
  };
}
