import { createHash } from 'node:crypto';
import { Point } from '@influxdata/influxdb-client';
import type { DeadLetterRecord, EventRecord, StoredDeadLetter, TelemetryRecord } from './event-store.js';

/**
 * How the event history lies in an InfluxDB 2.x bucket (docs/influxdb.md explains it for Grafana
 * users). Tags hold only bounded values, since every distinct tag set is a series InfluxDB keeps
 * in memory; an event's id is a field. Written with nanosecond precision.
 */
export const MEASUREMENTS = {
  /** One point per event. */
  event: 'kiosk_event',
  /** One point per telemetry message; one float field per reading. */
  telemetry: 'kiosk_telemetry',
  /** One point per refused message. */
  deadLetter: 'dead_letter',
  /** One point per start-up: the write half of the start-up check, and a restart marker. */
  startupCheck: 'startup_check',
} as const;

export const TAGS = {
  kiosk: 'kiosk',
  district: 'district',
  type: 'type',
  component: 'component',
  reason: 'reason',
} as const;

export const FIELDS = {
  id: 'id',
  ts: 'ts',
  tsMs: 'ts_ms',
  receivedMs: 'received_ms',
  data: 'data',
  seq: 'seq',
  topic: 'topic',
  detail: 'detail',
  record: 'record',
} as const;

/** Events before 1970 or after 2261 are refused: InfluxDB's int64 nanoseconds end in April 2262. */
export const MIN_TIME_MS = 0;
export const MAX_TIME_MS = Date.parse('2262-01-01T00:00:00Z');

const NS_PER_MS = 1_000_000n;
const SLOTS_PER_MS = 1_000_000;
/** Kiosk ids of the wire contract; a dead letter's kiosk is a tag only if it is one. */
const KIOSK_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Component names of the wire contract (`rfid_reader`, `printer`, …). */
const COMPONENT = /^[a-z_]{1,32}$/;
/** What must never be in a tag read back as a record's value: escapes InfluxDB would not undo. */
const UNSAFE_IN_TAG = /[\\\p{Cc}]/u;

/**
 * The nanosecond within its millisecond where an event lands: a hash of its id, so a redelivered
 * event always lands on its own point (and overwrites it with the same values) while two events of
 * one machine in one millisecond almost never meet. When they would, the later one takes the next
 * free nanosecond (see {@link eventTimeNs}).
 */
export function tiebreakOf(id: string): number {
  return createHash('sha256').update(id).digest().readUIntBE(0, 6) % SLOTS_PER_MS;
}

/** The timestamp of a new event: its own slot, or the next one not in `taken` (which it joins). */
export function eventTimeNs(record: EventRecord, taken: Set<bigint>): bigint {
  const base = BigInt(record.tsMs) * NS_PER_MS;
  const slot = tiebreakOf(record.id);
  for (let step = 0; step < SLOTS_PER_MS; step++) {
    const ns = base + BigInt((slot + step) % SLOTS_PER_MS);
    if (!taken.has(ns)) {
      taken.add(ns);
      return ns;
    }
  }
  throw new Error(`no free nanosecond left in millisecond ${record.tsMs}`);
}

/** Why a record cannot be stored as written, or `undefined` when it can. */
export function problemWith(record: EventRecord): string | undefined {
  if (!Number.isSafeInteger(record.tsMs) || record.tsMs < MIN_TIME_MS || record.tsMs >= MAX_TIME_MS) {
    return `event ${record.id}: tsMs must be an integer between 1970 and 2262, got ${record.tsMs}`;
  }
  if (!Number.isSafeInteger(record.receivedMs)) return `event ${record.id}: receivedMs must be an integer`;
  if (record.type === '' || UNSAFE_IN_TAG.test(record.type))
    return `event ${record.id}: type ${JSON.stringify(record.type)} cannot be a tag`;
  if (UNSAFE_IN_TAG.test(record.kioskId)) return `event ${record.id}: kioskId ${JSON.stringify(record.kioskId)} cannot be a tag`;
  return undefined;
}

/** A free-text label (a district name) made safe as a tag value; `undefined` when nothing is left. */
function labelTag(value: string | undefined): string | undefined {
  const cleaned = value?.replace(/[\\\p{Cc}]/gu, '').trim();
  return cleaned === '' ? undefined : cleaned;
}

/** Adds a tag only when it has a value: InfluxDB has no empty tags, the client drops them silently. */
function tagIf(point: Point, name: string, value: string | undefined): Point {
  return value === undefined || value === '' ? point : point.tag(name, value);
}

export function eventLine(record: EventRecord, timeNs: bigint, district: string | undefined): string {
  const component = record.data.component;
  const point = new Point(MEASUREMENTS.event).tag(TAGS.type, record.type);
  tagIf(point, TAGS.kiosk, record.kioskId);
  tagIf(point, TAGS.district, labelTag(district));
  tagIf(point, TAGS.component, typeof component === 'string' && COMPONENT.test(component) ? component : undefined);
  return (
    point
      .stringField(FIELDS.id, record.id)
      .stringField(FIELDS.ts, record.ts)
      .intField(FIELDS.tsMs, record.tsMs)
      .intField(FIELDS.receivedMs, record.receivedMs)
      // JSON escapes line breaks, which line protocol cannot carry in a field value.
      .stringField(FIELDS.data, JSON.stringify(record.data))
      .timestamp(timeNs.toString())
      .toLineProtocol()!
  );
}

/**
 * A telemetry message as a line, or `undefined` when it has no reading (a point needs a field).
 * Every reading is a float, even `312`: a field that is sometimes an integer is refused (422).
 */
export function telemetryLine(record: TelemetryRecord, district: string | undefined): string | undefined {
  const point = new Point(MEASUREMENTS.telemetry);
  tagIf(point, TAGS.kiosk, record.kioskId);
  tagIf(point, TAGS.district, labelTag(district));
  for (const [name, value] of Object.entries(record.readings)) point.floatField(name, value);
  return point.timestamp((BigInt(record.tsMs) * NS_PER_MS).toString()).toLineProtocol();
}

/**
 * A dead letter as a line. `record` keeps it exactly (JSON, so line breaks of a payload survive);
 * `topic` and a one-line `detail` are there for people reading the bucket. Its time is its `seq`
 * in microseconds, so a retried write of the same letter overwrites itself.
 */
export function deadLetterLine(record: DeadLetterRecord, seq: number): string {
  const point = new Point(MEASUREMENTS.deadLetter).tag(TAGS.reason, labelTag(record.reason) ?? 'unknown');
  tagIf(point, TAGS.kiosk, record.kioskId !== undefined && KIOSK_ID.test(record.kioskId) ? record.kioskId : undefined);
  return point
    .intField(FIELDS.seq, seq)
    .stringField(FIELDS.topic, record.topic.replace(/\p{Cc}/gu, ' '))
    .stringField(FIELDS.detail, record.detail.replace(/\p{Cc}/gu, ' '))
    .stringField(FIELDS.record, JSON.stringify(record))
    .timestamp((BigInt(seq) * 1000n).toString())
    .toLineProtocol()!;
}

export function startupCheckLine(nowMs: number): string {
  return new Point(MEASUREMENTS.startupCheck)
    .booleanField('ok', true)
    .timestamp((BigInt(nowMs) * NS_PER_MS).toString())
    .toLineProtocol()!;
}

/** A row of a Flux result, as the client types it (long → number, string → string). */
export type FluxRow = Record<string, unknown>;

const text = (row: FluxRow, column: string): string => (typeof row[column] === 'string' ? (row[column] as string) : '');
const integer = (row: FluxRow, column: string): number =>
  typeof row[column] === 'number' ? (row[column] as number) : Number.NaN;

export function eventOfRow(row: FluxRow): EventRecord {
  return {
    id: text(row, FIELDS.id),
    kioskId: text(row, TAGS.kiosk),
    type: text(row, TAGS.type),
    ts: text(row, FIELDS.ts),
    tsMs: integer(row, FIELDS.tsMs),
    receivedMs: integer(row, FIELDS.receivedMs),
    data: JSON.parse(text(row, FIELDS.data)) as Record<string, unknown>,
  };
}

/** Columns of a pivoted telemetry row that are not readings. */
const TELEMETRY_COLUMNS = new Set(['result', 'table', '_start', '_stop', '_time', '_measurement', TAGS.kiosk, TAGS.district]);

export function telemetryOfRow(row: FluxRow, kioskId: string): TelemetryRecord {
  const readings: Record<string, number> = {};
  for (const [column, value] of Object.entries(row)) {
    if (!TELEMETRY_COLUMNS.has(column) && typeof value === 'number') readings[column] = value;
  }
  return { kioskId, tsMs: msOfRfc3339(text(row, '_time')), readings };
}

export function deadLetterOfRow(row: FluxRow): StoredDeadLetter {
  const record = JSON.parse(text(row, FIELDS.record)) as DeadLetterRecord;
  return {
    seq: integer(row, FIELDS.seq),
    receivedMs: record.receivedMs,
    topic: record.topic,
    ...(record.kioskId === undefined ? {} : { kioskId: record.kioskId }),
    reason: record.reason,
    detail: record.detail,
    payloadExcerpt: record.payloadExcerpt,
  };
}

const RFC3339_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** Nanoseconds of a Flux `_time` (RFC 3339, UTC, up to nine decimals). */
export function nsOfRfc3339(value: string): bigint {
  const match = RFC3339_UTC.exec(value);
  if (!match) throw new Error(`not an RFC 3339 UTC time: ${JSON.stringify(value)}`);
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return BigInt(Date.parse(`${match[1]}Z`)) * NS_PER_MS + BigInt(fraction);
}

/** The millisecond a Flux `_time` falls in. */
export function msOfRfc3339(value: string): number {
  return Number(nsOfRfc3339(value) / NS_PER_MS);
}
