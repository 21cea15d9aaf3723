import type { Calendar } from '../../time/calendar.js';
import { FIELDS, MEASUREMENTS, TAGS } from './influx-schema.js';

/**
 * The Flux text the InfluxDB event store sends. Every value enters a query as a literal built
 * here (strings escaped, times as RFC 3339), so nothing a machine sends can change a query's shape.
 * Tag predicates are `==` chains, which InfluxDB pushes down to its storage; `contains()` is not.
 */

/** A Flux string literal: `\`, `"`, line breaks, tabs and `${` (interpolation) escaped. */
export function fluxString(value: string): string {
  return `"${value.replace(/[\\"\n\r\t]|\$\{/g, (c) => ESCAPES[c] ?? c)}"`;
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '${': '\\${' };

/** A Flux time literal for an instant in epoch milliseconds. */
export function fluxTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function fluxStrings(values: Iterable<string>): string {
  return `[${[...values].map(fluxString).join(', ')}]`;
}

/** Which events a read or a count covers. `''` as a kiosk id means platform events (no `kiosk` tag). */
export interface SeriesFilter {
  kioskIds?: readonly string[];
  types?: readonly string[];
}

/** `r._measurement == "…"` and the tag predicates of a filter, for one pushed-down `filter()`. */
function seriesPredicate(measurement: string, filter: SeriesFilter = {}, field?: string): string {
  const terms = [`r._measurement == ${fluxString(measurement)}`];
  if (field !== undefined) terms.push(`r._field == ${fluxString(field)}`);
  if (filter.kioskIds) terms.push(anyOf(TAGS.kiosk, filter.kioskIds));
  if (filter.types) terms.push(anyOf(TAGS.type, filter.types));
  return terms.join(' and ');
}

function anyOf(tag: string, values: readonly string[]): string {
  const terms = values.map((v) => (v === '' ? `not exists r.${tag}` : `r.${tag} == ${fluxString(v)}`));
  return terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`;
}

function source(bucket: string, startMs: number, stopMs: number): string[] {
  return [`from(bucket: ${fluxString(bucket)})`, `  |> range(start: ${fluxTime(startMs)}, stop: ${fluxTime(stopMs)})`];
}

const script = (lines: string[]): string => `${lines.join('\n')}\n`;

/**
 * The time of the first (or last) point matching a filter in [startMs, stopMs): one point per
 * series from storage (`first()`/`last()` are pushed down), then the earliest (latest) of them.
 */
export function edgeFlux(
  bucket: string,
  range: { startMs: number; stopMs: number },
  measurement: string,
  edge: 'first' | 'last',
  filter?: SeriesFilter,
  field?: string,
): string {
  return script([
    ...source(bucket, range.startMs, range.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(measurement, filter, field)})`,
    `  |> ${edge}()`,
    '  |> group()',
    `  |> sort(columns: ["_time"], desc: ${edge === 'last'})`,
    '  |> limit(n: 1)',
    '  |> keep(columns: ["_time"])',
  ]);
}

export interface EventWindow extends SeriesFilter {
  startMs: number;
  stopMs: number;
  order: 'asc' | 'desc';
  limit: number;
  /** Keyset cursor: only events after it in the window's order. */
  after?: { tsMs: number; id: string };
}

/** One window of events as rows (one per event), ordered by event time then id, at most `limit`. */
export function eventWindowFlux(bucket: string, window: EventWindow): string {
  const isDescending = window.order === 'desc';
  const lines = [
    ...source(bucket, window.startMs, window.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(MEASUREMENTS.event, window)})`,
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    '  |> group()',
  ];
  if (window.after) {
    const { tsMs, id } = window.after;
    const beyond = isDescending ? '<' : '>';
    lines.push(
      `  |> filter(fn: (r) => r.${FIELDS.tsMs} ${beyond} ${tsMs} or (r.${FIELDS.tsMs} == ${tsMs} and r.${FIELDS.id} ${beyond} ${fluxString(id)}))`,
    );
  }
  lines.push(`  |> sort(columns: ["${FIELDS.tsMs}", "${FIELDS.id}"], desc: ${isDescending})`, `  |> limit(n: ${window.limit})`);
  return script(lines);
}

/**
 * The stored events among `ids`, and every event stored in one of the milliseconds `msList`
 * (whose timestamps a new event must not take): rows of `_time` and `_value` (the id).
 */
export function storedIdsFlux(
  bucket: string,
  range: { startMs: number; stopMs: number },
  ids: readonly string[],
  msList: readonly number[],
): string {
  return script([
    ...source(bucket, range.startMs, range.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(MEASUREMENTS.event, {}, FIELDS.id)})`,
    `  |> filter(fn: (r) => contains(value: r._value, set: ${fluxStrings(ids)}) or contains(value: int(v: r._time) / 1000000, set: [${msList.join(', ')}]))`,
    '  |> keep(columns: ["_time", "_value"])',
  ]);
}

/**
 * The stored events with these ids, in full (pivoted rows, as a read answers them): what a new
 * event reusing one of the ids is compared with.
 */
export function storedEventsFlux(bucket: string, range: { startMs: number; stopMs: number }, ids: readonly string[]): string {
  return script([
    ...source(bucket, range.startMs, range.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(MEASUREMENTS.event)})`,
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    '  |> group()',
    `  |> filter(fn: (r) => contains(value: r.${FIELDS.id}, set: ${fluxStrings(ids)}))`,
  ]);
}

export interface CountWindow extends SeriesFilter {
  startMs: number;
  stopMs: number;
  granularity: 'day' | 'month';
  byKiosk: boolean;
}

/**
 * Events per local day or month: counted per series and window by InfluxDB (windows follow the
 * fleet zone's midnights), then summed per window, type and, if asked, kiosk. Each row's `_time`
 * is its window's start (a local midnight, or the range's start for a month cut by the range).
 */
export function countFlux(bucket: string, calendar: Calendar, window: CountWindow): string {
  const groups = ['_time', TAGS.type, ...(window.byKiosk ? [TAGS.kiosk] : [])];
  return script([
    'import "timezone"',
    '',
    ...source(bucket, window.startMs, window.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(MEASUREMENTS.event, window, FIELDS.id)})`,
    `  |> aggregateWindow(every: ${window.granularity === 'day' ? '1d' : '1mo'}, fn: count, location: ${locationFlux(calendar, window.startMs, window.stopMs)}, timeSrc: "_start", createEmpty: false)`,
    `  |> group(columns: ${fluxStrings(groups)})`,
    '  |> sum()',
    '  |> group()',
  ]);
}

/** Longest step between two offset checks: shorter than any daylight-saving period in use. */
const OFFSET_PROBE_STEP_MS = 7 * 86_400_000;

/**
 * The Flux location of the fleet zone over a range. A zone whose offset does not change in the
 * range is given as a fixed offset, which InfluxDB computes without time zone data; others by
 * name, which needs the zone database on the InfluxDB server (influxdata/influxdb#23248).
 */
export function locationFlux(calendar: Calendar, startMs: number, stopMs: number): string {
  const offset = calendar.offsetMinutesAt(startMs);
  for (let at = startMs; at < stopMs; at = Math.min(at + OFFSET_PROBE_STEP_MS, stopMs)) {
    if (calendar.offsetMinutesAt(at) !== offset) return `timezone.location(name: ${fluxString(calendar.timeZone)})`;
  }
  if (calendar.offsetMinutesAt(Math.max(startMs, stopMs - 1)) !== offset) {
    return `timezone.location(name: ${fluxString(calendar.timeZone)})`;
  }
  return `timezone.fixed(offset: ${offset}m)`;
}

/** One kiosk's telemetry in a window, newest first, one row per reading time. */
export function telemetryWindowFlux(
  bucket: string,
  kioskId: string,
  window: { startMs: number; stopMs: number; limit: number },
): string {
  return script([
    ...source(bucket, window.startMs, window.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(MEASUREMENTS.telemetry, { kioskIds: [kioskId] })})`,
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    '  |> group()',
    '  |> sort(columns: ["_time"], desc: true)',
    `  |> limit(n: ${window.limit})`,
  ]);
}

/** Dead letters in a window, newest first, only those numbered below `beforeSeq` if given. */
export function deadLetterWindowFlux(
  bucket: string,
  window: { startMs: number; stopMs: number; limit: number; beforeSeq?: number },
): string {
  const lines = [
    ...source(bucket, window.startMs, window.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(MEASUREMENTS.deadLetter)})`,
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    '  |> group()',
  ];
  if (window.beforeSeq !== undefined) lines.push(`  |> filter(fn: (r) => r.${FIELDS.seq} < ${window.beforeSeq})`);
  lines.push(`  |> sort(columns: ["${FIELDS.seq}"], desc: true)`, `  |> limit(n: ${window.limit})`);
  return script(lines);
}

/** The number of dead letters: one field per letter, counted by InfluxDB. */
export function deadLetterCountFlux(bucket: string, range: { startMs: number; stopMs: number }): string {
  return script([
    ...source(bucket, range.startMs, range.stopMs),
    `  |> filter(fn: (r) => ${seriesPredicate(MEASUREMENTS.deadLetter, {}, FIELDS.seq)})`,
    '  |> group()',
    '  |> count()',
  ]);
}

/**
 * The start-up probe: reads at most one point of the bucket (the token may read it, and the
 * server runs Flux), and, when the counts will need it, loads the fleet zone by name.
 */
export function probeFlux(bucket: string, timeZoneByName?: string): string {
  return script([
    ...(timeZoneByName === undefined
      ? []
      : ['import "timezone"', '', `option location = timezone.location(name: ${fluxString(timeZoneByName)})`, '']),
    `from(bucket: ${fluxString(bucket)})`,
    '  |> range(start: -1m)',
    '  |> limit(n: 1)',
  ]);
}
