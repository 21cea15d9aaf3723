import { ChannelError } from './channel.js';

/**
 * WeCom and DingTalk robots answer HTTP 200 with `{errcode, errmsg}`; only `errcode: 0` is
 * success. Their rate limits (20 messages a minute per robot) are worth retrying; anything
 * else (a wrong key, a bad format) is not.
 */
export function checkRobotReply(text: string, robot: string, rateLimitCodes: readonly number[]): void {
  let reply: { errcode?: unknown; errmsg?: unknown };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    throw new ChannelError(`${robot} robot answered something that is not JSON: ${text.slice(0, 100)}`, true);
  }
  if (reply.errcode === 0) return;
  const code = Number(reply.errcode);
  throw new ChannelError(
    `${robot} robot refused the message: errcode ${String(reply.errcode)} ${String(reply.errmsg ?? '')}`.trim(),
    rateLimitCodes.includes(code),
  );
}
