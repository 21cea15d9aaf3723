import type { z } from 'zod';
import {
  type KioskEvent,
  KIOSK_EVENT_TYPES,
  kioskEventSchema,
  MAX_EVENTS_PER_MESSAGE,
  statusSchema,
  telemetrySchema,
  type Topics,
} from '../protocol/index.js';
import { statusEffectiveMs, statusEventId, type StatusEvent } from './domain/fleet-event.js';
import type { DecodeRejectionReason } from './dead-letter-reason.js';
import type { DeadLetterRecord, EventRecord, TelemetryRecord } from './store/event-store.js';

export interface DecodeLimits {
  maxPayloadBytes: number;
  /** Events stamped further ahead of the collector's clock are refused (machine clock wrong). */
  maxFutureSkewMs: number;
  /** Events stamped before this instant are refused (an unset RTC reports 1970). */
  minEventMs: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxPayloadBytes: 262_144,
  maxFutureSkewMs: 3_600_000,
  minEventMs: Date.parse('2000-01-01T00:00:00Z'),
});

/** The first local day an event may be stamped with (an unset RTC reports 1970); inclusive. */
export const FIRST_EVENT_DAY = '2000-01-01';

export interface DecodeRejection {
  /** The event's id when it had a readable one: the machine is told, so it stops resending. */
  id?: string;
  reason: DecodeRejectionReason;
  detail: string;
}

export type Decoded =
  | { kind: 'events'; kioskId: string; records: EventRecord[]; rejected: DecodeRejection[]; raw: string }
  | { kind: 'status'; kioskId: string; record: EventRecord }
  | { kind: 'telemetry'; kioskId: string; record: TelemetryRecord }
  | { kind: 'ignored' }
  | { kind: 'dead'; kioskId?: string; reason: DecodeRejectionReason; detail: string };

const EXCERPT_BYTES = 1024;

export function excerptOf(payload: Buffer | string): string {
  const text = typeof payload === 'string' ? payload : payload.subarray(0, EXCERPT_BYTES).toString('utf8');
  return text.slice(0, EXCERPT_BYTES);
}

export function deadLetterOf(
  topic: string,
  kioskId: string | undefined,
  rejection: DecodeRejection,
  payload: Buffer | string,
  receivedMs: number,
): DeadLetterRecord {
  return {
    receivedMs,
    topic,
    ...(kioskId === undefined ? {} : { kioskId }),
    reason: rejection.reason,
    detail: rejection.detail,
    payloadExcerpt: excerptOf(payload),
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}

function checkTime(tsMs: number, receivedMs: number, limits: DecodeLimits): string | null {
  if (tsMs < limits.minEventMs) {
    return `ts ${new Date(tsMs).toISOString()} is before ${FIRST_EVENT_DAY} (local midnight, ${new Date(limits.minEventMs).toISOString()})`;
  }
  if (tsMs > receivedMs + limits.maxFutureSkewMs) {
    return `ts ${new Date(tsMs).toISOString()} is ${Math.round((tsMs - receivedMs) / 1000)} s ahead of the collector's clock`;
  }
  return null;
}

function decodeEvent(item: unknown, kioskId: string, receivedMs: number, limits: DecodeLimits): EventRecord | DecodeRejection {
  const claimedId =
    typeof (item as { id?: unknown })?.id === 'string' ? String((item as { id: string }).id).slice(0, 128) : undefined;
  const withId = (r: Omit<DecodeRejection, 'id'>): DecodeRejection => (claimedId === undefined ? r : { ...r, id: claimedId });
  const parsed = kioskEventSchema.safeParse(item);
  if (!parsed.success) {
    const type = (item as { type?: unknown })?.type;
    if (typeof type === 'string' && !(KIOSK_EVENT_TYPES as string[]).includes(type)) {
      return withId({
        reason: 'unknown_event_type',
        detail: `unknown event type "${type.slice(0, 40)}"; known: ${KIOSK_EVENT_TYPES.join(', ')}`,
      });
    }
    return withId({ reason: 'schema', detail: describeIssues(parsed.error) });
  }
  const event: KioskEvent = parsed.data;
  const tsMs = Date.parse(event.ts);
  const timeProblem = checkTime(tsMs, receivedMs, limits);
  if (timeProblem) return withId({ reason: 'timestamp_out_of_range', detail: timeProblem });
  return { id: event.id, kioskId, type: event.type, ts: event.ts, tsMs, receivedMs, data: event };
}

function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch (error) {
    return { ok: false, detail: `payload is not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * Turns one MQTT message into what the collector stores, or into the reason it cannot.
 * Pure: the receive time is passed in. Events in a batch are judged one by one.
 */
export function decodeMessage(
  topics: Topics,
  topic: string,
  payload: Buffer,
  receivedMs: number,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Decoded {
  const where = topics.parse(topic);
  if (!where.ok)
    return {
      kind: 'dead',
      reason: 'unknown_topic',
      detail: `topic "${topic.slice(0, 200)}" is not part of the wire contract (${where.reason})`,
    };
  const { kioskId, channel } = where;
  if (channel === 'commands' || channel === 'acks') return { kind: 'ignored' };
  if (payload.length > limits.maxPayloadBytes) {
    return {
      kind: 'dead',
      kioskId,
      reason: 'payload_too_large',
      detail: `payload of ${payload.length} bytes exceeds ${limits.maxPayloadBytes}`,
    };
  }
  const json = parseJson(payload);
  if (!json.ok) return { kind: 'dead', kioskId, reason: 'invalid_json', detail: json.detail };

  if (channel === 'events') {
    const items = Array.isArray(json.value) ? json.value : [json.value];
    if (items.length === 0 || items.length > MAX_EVENTS_PER_MESSAGE) {
      return {
        kind: 'dead',
        kioskId,
        reason: 'too_many_events',
        detail: `a message carries 1 to ${MAX_EVENTS_PER_MESSAGE} events, this one ${items.length}`,
      };
    }
    const records: EventRecord[] = [];
    const rejected: DecodeRejection[] = [];
    for (const item of items) {
      const result = decodeEvent(item, kioskId, receivedMs, limits);
      if ('reason' in result) rejected.push(result);
      else records.push(result);
    }
    return { kind: 'events', kioskId, records, rejected, raw: payload.toString('utf8') };
  }

  if (channel === 'status') {
    const parsed = statusSchema.safeParse(json.value);
    if (!parsed.success) return { kind: 'dead', kioskId, reason: 'schema', detail: describeIssues(parsed.error) };
    const sentMs = Date.parse(parsed.data.ts);
    const timeProblem = checkTime(sentMs, receivedMs, limits);
    if (timeProblem) return { kind: 'dead', kioskId, reason: 'timestamp_out_of_range', detail: timeProblem };
    const tsMs = statusEffectiveMs(parsed.data, sentMs, receivedMs);
    const ts = tsMs === sentMs ? parsed.data.ts : new Date(tsMs).toISOString();
    const event: StatusEvent = {
      ...parsed.data,
      id: statusEventId(kioskId, parsed.data, sentMs),
      type: 'status',
      ts,
      sentTs: parsed.data.ts,
    };
    return { kind: 'status', kioskId, record: { id: event.id, kioskId, type: 'status', ts, tsMs, receivedMs, data: event } };
  }

  const parsed = telemetrySchema.safeParse(json.value);
  if (!parsed.success) return { kind: 'dead', kioskId, reason: 'schema', detail: describeIssues(parsed.error) };
  const { ts, ...readings } = parsed.data;
  const tsMs = Date.parse(ts);
  const timeProblem = checkTime(tsMs, receivedMs, limits);
  if (timeProblem) return { kind: 'dead', kioskId, reason: 'timestamp_out_of_range', detail: timeProblem };
  return { kind: 'telemetry', kioskId, record: { kioskId, tsMs, readings: readings as Record<string, number> } };
}
