import { createHmac } from 'node:crypto';
import { headlineOf, linesOf } from '../domain/notification-rules.js';
import { platformHeadlineOf, platformLinesOf } from '../domain/platform-notices.js';
import type { ChannelMessage, NotificationChannel } from './channel.js';
import { postJson } from './http-post.js';
import type { ChannelConfig } from './notify-config.js';
import { checkRobotReply } from './robot-reply.js';

/** 130101: sent too fast (the robot takes 20 messages a minute). */
const RATE_LIMIT_CODES = [130101];

/** The DingTalk group robot's markdown message: `{msgtype: 'markdown', markdown: {title, text}}`. */
export function dingtalkPayload(message: ChannelMessage, formatTime: (ms: number) => string) {
  const headline = message.source === 'platform' ? platformHeadlineOf(message) : headlineOf(message);
  const lines = message.source === 'platform' ? platformLinesOf(message, formatTime) : linesOf(message, formatTime);
  const text = [`#### ${headline}`, ...lines.map((l) => `- ${l}`)].join('\n');
  return { msgtype: 'markdown' as const, markdown: { title: headline.slice(0, 64), text } };
}

/**
 * A robot with "加签" security: `timestamp` and `sign` = Base64(HMAC-SHA256(secret,
 * `${timestamp}\n${secret}`)) in the query, as DingTalk's robot documentation specifies.
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
  options: { timeoutMs: number; formatTime: (ms: number) => string; now: () => number },
): NotificationChannel {
  return {
    name: config.name,
    type: 'dingtalk',
    async send(message) {
      const url = config.secret ? signedUrl(config.url, config.secret, options.now()) : config.url;
      checkRobotReply(
        await postJson(url, dingtalkPayload(message, options.formatTime), { timeoutMs: options.timeoutMs }),
        'DingTalk',
        RATE_LIMIT_CODES,
      );
    },
  };
}
