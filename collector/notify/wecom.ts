import { headlineOf, linesOf } from '../domain/notification-rules.js';
import { type PlatformMessage, platformHeadlineOf, platformLinesOf } from '../domain/platform-notices.js';
import type { ChannelMessage, NotificationChannel } from './channel.js';
import { postJson } from './http-post.js';
import type { ChannelConfig } from './notify-config.js';
import { checkRobotReply } from './robot-reply.js';

/** WeCom caps a markdown message at 4,096 bytes of UTF-8. */
const MAX_CONTENT_BYTES = 4_096;
/** 45009: the robot's rate limit (20 messages a minute). */
const RATE_LIMIT_CODES = [45009];

function fit(lines: string[], maxBytes: number): string {
  let content = lines.join('\n');
  while (Buffer.byteLength(content, 'utf8') > maxBytes && lines.length > 2) {
    lines.splice(lines.length - 2, 1);
    content = lines.join('\n');
  }
  return Buffer.byteLength(content, 'utf8') > maxBytes
    ? Buffer.from(content)
        .subarray(0, maxBytes - 3)
        .toString('utf8') + '…'
    : content;
}

/** The WeCom group robot's markdown message: `{msgtype: 'markdown', markdown: {content}}`. */
export function wecomPayload(message: ChannelMessage, formatTime: (ms: number) => string) {
  if (message.source === 'platform') return wecomPlatformPayload(message, formatTime);
  const colour = message.severity === 'critical' ? 'warning' : message.severity === 'major' ? 'comment' : 'info';
  const lines = [
    `**<font color="${colour}">${headlineOf(message)}</font>**`,
    ...linesOf(message, formatTime).map((l) => `> ${l}`),
  ];
  return { msgtype: 'markdown' as const, markdown: { content: fit(lines, MAX_CONTENT_BYTES) } };
}

/** Platform notices: red while something is wrong, green when all of it is recovery. */
function wecomPlatformPayload(message: PlatformMessage, formatTime: (ms: number) => string) {
  const colour = message.notices.every((n) => n.kind === 'recovered') ? 'info' : 'warning';
  const lines = [
    `**<font color="${colour}">${platformHeadlineOf(message)}</font>**`,
    ...platformLinesOf(message, formatTime).map((l) => `> ${l}`),
  ];
  return { msgtype: 'markdown' as const, markdown: { content: fit(lines, MAX_CONTENT_BYTES) } };
}

export function createWecomChannel(
  config: Extract<ChannelConfig, { type: 'wecom' }>,
  options: { timeoutMs: number; formatTime: (ms: number) => string },
): NotificationChannel {
  return {
    name: config.name,
    type: 'wecom',
    async send(message) {
      checkRobotReply(
        await postJson(config.url, wecomPayload(message, options.formatTime), { timeoutMs: options.timeoutMs }),
        'WeCom',
        RATE_LIMIT_CODES,
      );
    },
  };
}
