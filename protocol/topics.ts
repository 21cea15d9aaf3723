import { z } from 'zod';

/** A machine's id as it appears in topics, credentials and the registry. */
export const kioskIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a kiosk id is 1-64 characters of A-Z, a-z, 0-9, _ and -');
export type KioskId = z.infer<typeof kioskIdSchema>;

/** The channels under `{root}/{kioskId}/`. */
export const CHANNELS = ['status', 'events', 'telemetry', 'commands', 'acks'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Channels a machine publishes on; the others are published to it. */
export const KIOSK_PUBLISH_CHANNELS: readonly Channel[] = ['status', 'events', 'telemetry'];
export const KIOSK_SUBSCRIBE_CHANNELS: readonly Channel[] = ['commands', 'acks'];

export const DEFAULT_TOPIC_ROOT = 'kiosks';

export const topicRootSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'a topic root is one or more plain topic levels, no wildcards');

export interface ParsedTopic {
  kioskId: KioskId;
  channel: Channel;
}

export type TopicParseResult =
  ({ ok: true } & ParsedTopic) | { ok: false; reason: 'outside_root' | 'bad_kiosk_id' | 'unknown_channel' };

export interface Topics {
  readonly root: string;
  topic(kioskId: KioskId, channel: Channel): string;
  /** Subscription filter for one channel of every machine, e.g. `kiosks/+/events`. */
  everyKiosk(channel: Channel): string;
  parse(topic: string): TopicParseResult;
}

/** Topic names of the wire contract under a configurable root (default `kiosks`). */
export function createTopics(root: string = DEFAULT_TOPIC_ROOT): Topics {
  const validRoot = topicRootSchema.parse(root);
  const rootLevels = validRoot.split('/').length;
  return Object.freeze({
    root: validRoot,
    topic: (kioskId: KioskId, channel: Channel) => `${validRoot}/${kioskId}/${channel}`,
    everyKiosk: (channel: Channel) => `${validRoot}/+/${channel}`,
    parse(topic: string): TopicParseResult {
      if (!topic.startsWith(`${validRoot}/`)) return { ok: false, reason: 'outside_root' };
      const levels = topic.split('/').slice(rootLevels);
      if (levels.length !== 2) return { ok: false, reason: 'unknown_channel' };
      const [kioskId = '', channel = ''] = levels;
      if (!kioskIdSchema.safeParse(kioskId).success) return { ok: false, reason: 'bad_kiosk_id' };
      if (!(CHANNELS as readonly string[]).includes(channel)) return { ok: false, reason: 'unknown_channel' };
      return { ok: true, kioskId, channel: channel as Channel };
    },
  });
}
