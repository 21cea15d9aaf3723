import type { ChannelMessage, NotificationChannel, SendContext } from './channel.js';
import { fitToBytes } from './byte-limit.js';
import { type MessageStyle, messageTextOf } from './message-text.js';
import { postJson } from './http-post.js';
import type { ChannelConfig } from './notify-config.js';
import { checkRobotReply } from './robot-reply.js';

/** WeCom caps `markdown.content` at 4,096 bytes of UTF-8 (errcode 40058 beyond). */
export const WECOM_MAX_CONTENT_BYTES = 4_096;
/** 20 messages a minute per robot (WeCom's group-robot documentation); 45009 when exceeded. */
export const WECOM_RATE_PER_MINUTE = 20;
const RATE_LIMITS = [{ errcode: 45009, waitMs: 60_000 }];

/**
 * WeCom markdown colours: `info` green, `comment` grey, `warning` orange-red. Good news (resolved,
 * recovered, a test) is green; a critical alert red; anything else grey.
 */
function colourOf(isGoodNews: boolean, severity: string | null): string {
  if (isGoodNews) return 'info';
  return severity === 'critical' || severity === null ? 'warning' : 'comment';
}

/** The WeCom group robot's markdown message: `{msgtype: 'markdown', markdown: {content}}`, within 4,096 bytes. */
export function wecomPayload(message: ChannelMessage, context: Pick<SendContext, 'delayedMs' | 'nowMs'>, style: MessageStyle) {
  const text = messageTextOf(message, context, style, (url, language) => `[${language === 'zh' ? '查看' : 'open'}](${url})`);
  const content = fitToBytes({
    head: [`**<font color="${colourOf(text.isGoodNews, text.severity)}">${text.headline}</font>**`],
    items: text.items.map((l) => `> ${l}`),
    more: (n) => `> ${text.more(n)}`,
    join: (lines) => lines.join('\n'),
    maxBytes: WECOM_MAX_CONTENT_BYTES,
  });
  return { msgtype: 'markdown' as const, markdown: { content } };
}

export function createWecomChannel(
  config: Extract<ChannelConfig, { type: 'wecom' }>,
  options: { timeoutMs: number; style: MessageStyle },
): NotificationChannel {
  return {
    name: config.name,
    type: 'wecom',
    isIdempotent: false,
    ratePerMinute: config.ratePerMinute ?? WECOM_RATE_PER_MINUTE,
    async send(message, context) {
      checkRobotReply(
        await postJson(config.url, wecomPayload(message, context, options.style), { timeoutMs: options.timeoutMs }),
        'WeCom',
        RATE_LIMITS,
      );
    },
  };
}
