import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { notificationRuleSchema } from '../domain/notification-rules.js';
import { MESSAGE_LANGUAGES } from './channel.js';

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a channel name is 1-64 characters of A-Z, a-z, 0-9, _ . -');
const httpUrl = z.url({ protocol: /^https?$/, message: 'an http:// or https:// URL' });
/** What every channel may set besides its address. */
const common = {
  name,
  /** The language of its messages: `zh` (default) or `en`. */
  language: z.enum(MESSAGE_LANGUAGES).default('zh'),
  /** One try's limit; default `retry.timeoutMs`, and at least 30 s for the robots (docs/notifications.md). */
  timeoutMs: z.number().int().min(100).max(300_000).optional(),
  /** Sends a minute at most; default the service's documented limit (robots 20), none for webhooks and e-mail. */
  ratePerMinute: z.number().int().min(1).max(10_000).optional(),
};

export const webhookChannelSchema = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: httpUrl,
  /** Sent with every request (an authorization header, say). */
  headers: z.record(z.string(), z.string()).optional(),
});
/** A WeCom (企业微信) group robot: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`. */
export const wecomChannelSchema = z.strictObject({ ...common, type: z.literal('wecom'), url: httpUrl });
/** A DingTalk (钉钉) group robot: `https://oapi.dingtalk.com/robot/send?access_token=…`, with its signing secret if set. */
export const dingtalkChannelSchema = z.strictObject({
  ...common,
  type: z.literal('dingtalk'),
  url: httpUrl,
  secret: z.string().min(1).optional(),
});
export const emailChannelSchema = z.strictObject({
  ...common,
  type: z.literal('email'),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send without STARTTLS. */
    requireTLS: z.boolean().default(false),
    auth: z.strictObject({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
  }),
  from: z.string().min(3),
  to: z.array(z.email()).min(1),
});
export const channelConfigSchema = z.discriminatedUnion('type', [
  webhookChannelSchema,
  wecomChannelSchema,
  dingtalkChannelSchema,
  emailChannelSchema,
]);
export type ChannelConfig = z.infer<typeof channelConfigSchema>;

/** The notification settings file (`NOTIFY_CONFIG`): channels, rules choosing them, grouping and retries. */
export const notifyConfigSchema = z
  .strictObject({
    channels: z.array(channelConfigSchema).min(1),
    rules: z.array(notificationRuleSchema).min(1),
    /** Notices gathered this long are sent as one message per kind, step and district. */
    groupWindowMs: z.number().int().min(0).max(300_000).default(10_000),
    retry: z
      .strictObject({
        /** Ignored: kept so older settings files still load. Messages are tried until `maxAgeMs`. */
        attempts: z.number().int().min(1).max(20).optional(),
        initialDelayMs: z.number().int().min(1).default(1_000),
        /** The ceiling of the backoff. */
        maxDelayMs: z.number().int().min(1).default(300_000),
        /** One try's limit (HTTP request, SMTP session) of webhooks and e-mail. */
        timeoutMs: z.number().int().min(100).default(10_000),
        /** How long a message is tried before it expires: as long as the alert matters (the 24-hour promise). */
        maxAgeMs: z
          .number()
          .int()
          .min(60_000)
          .max(30 * 86_400_000)
          .default(24 * 3_600_000),
      })
      .default({ initialDelayMs: 1_000, maxDelayMs: 300_000, timeoutMs: 10_000, maxAgeMs: 24 * 3_600_000 }),
    /** Ignored: kept so older settings files still load. The outbox on disk has no cap. */
    maxQueuedPerChannel: z.number().int().min(1).optional(),
    /** Notices about the platform itself, for rules with `sources: ["platform"]` (docs/notifications.md). */
    platform: z
      .strictObject({
        /** How often the platform's health is looked at. */
        sampleIntervalMs: z.number().int().min(10).max(60_000).default(5_000),
        /** A component must stay degraded this long before it is reported, and ok as long before its recovery is: no flapping. */
        debounceMs: z.number().int().min(0).max(3_600_000).default(30_000),
        /** Dropped data is reported at once, then at most once per this interval with the count since. */
        dropIntervalMs: z.number().int().min(0).max(3_600_000).default(60_000),
      })
      .default({ sampleIntervalMs: 5_000, debounceMs: 30_000, dropIntervalMs: 60_000 }),
  })
  .superRefine((config, ctx) => {
    const names = config.channels.map((c) => c.name);
    for (const [i, n] of names.entries()) {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'name'], message: `channel name ${n} is used twice` });
    }
    for (const [i, rule] of config.rules.entries()) {
      for (const channel of rule.channels) {
        if (!names.includes(channel))
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'channels'], message: `no channel named ${channel}` });
      }
    }
  });
export type NotifyConfig = z.infer<typeof notifyConfigSchema>;

export class NotifyConfigError extends Error {
  readonly code = 'NOTIFY_CONFIG_INVALID';
}

/** Reads and checks the settings file; throws a NotifyConfigError naming every problem. */
export function loadNotifyConfig(path: string): NotifyConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new NotifyConfigError(`NOTIFY_CONFIG ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = notifyConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new NotifyConfigError(`NOTIFY_CONFIG ${path}: ${problems}`);
  }
  return parsed.data;
}
