import { z } from 'zod';
import { NOTICE_KINDS } from '../domain/notification-rules.js';
import { DROP_COUNTERS } from '../domain/platform-notices.js';
import { COMPONENTS, severitySchema } from '../../protocol/events.js';
import type { ChannelMessage } from './channel.js';

const ms = z.number().int();

const alertNoticeSchema = z.object({
  kind: z.enum(NOTICE_KINDS),
  alertId: z.string(),
  kioskId: z.string(),
  kioskName: z.string(),
  district: z.string().nullable(),
  component: z.enum([...COMPONENTS, 'connection']),
  severity: severitySchema,
  title: z.string(),
  openedAtMs: ms,
  deadlineAtMs: ms,
  step: z.number().int().nullable(),
  percent: z.number().nullable(),
  by: z.string().nullable(),
  atMs: ms,
});

const platformNoticeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('opened'),
    component: z.string(),
    state: z.enum(['degraded', 'down']),
    detail: z.string(),
    sinceMs: ms,
    atMs: ms,
  }),
  z.object({ kind: z.literal('recovered'), component: z.string(), detail: z.string(), sinceMs: ms, durationMs: ms, atMs: ms }),
  z.object({ kind: z.literal('dropped'), counter: z.enum(DROP_COUNTERS), count: ms, total: ms, sinceMs: ms, atMs: ms }),
]);

/** A message as the outbox stores it (JSON): parsed once where it is read, never cast. */
export const channelMessageSchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('alerts'),
    id: z.string(),
    kind: z.enum(NOTICE_KINDS),
    step: z.number().int().nullable(),
    percent: z.number().nullable(),
    district: z.string().nullable(),
    severity: severitySchema,
    notices: z.array(alertNoticeSchema).min(1),
  }),
  z.object({ source: z.literal('platform'), id: z.string(), notices: z.array(platformNoticeSchema).min(1) }),
  z.object({ source: z.literal('test'), id: z.string(), requestedBy: z.string(), atMs: ms }),
]);

export function parseStoredMessage(json: string): ChannelMessage {
  return channelMessageSchema.parse(JSON.parse(json));
}
