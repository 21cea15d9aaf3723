import { ChannelError } from './channel.js';

/** A robot's rate-limit answer and how long the service then refuses messages. */
export interface RateLimitCode {
  errcode: number;
  waitMs: number;
}

/**
 * WeCom and DingTalk robots answer HTTP 200 with `{errcode, errmsg}`; only `errcode: 0` is
 * success. Their rate limits are retried after the service's wait; any other code (a wrong key,
 * a bad format, a message too long) is not. An answer that is not JSON came from something other
 * than the robot (a proxy): the robot may have taken the message.
 */
export function checkRobotReply(text: string, robot: string, rateLimits: readonly RateLimitCode[]): void {
  let reply: { errcode?: unknown; errmsg?: unknown };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    throw new ChannelError(`${robot} robot answered something that is not JSON: ${text.slice(0, 100)}`, true, {
      mayHaveArrived: true,
    });
  }
  if (reply.errcode === 0) return;
  const code = Number(reply.errcode);
  const limit = rateLimits.find((r) => r.errcode === code);
  throw new ChannelError(
    `${robot} robot refused the message: errcode ${String(reply.errcode)} ${String(reply.errmsg ?? '')}`.trim(),
    limit !== undefined,
    limit ? { retryAfterMs: limit.waitMs } : {},
  );
}
