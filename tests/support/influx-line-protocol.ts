/**
 * A strict reader of InfluxDB 2.x line protocol, for the fake InfluxDB the adapter tests write to:
 * what the adapter sends is parsed as InfluxDB would parse it, and refused as InfluxDB would
 * refuse it (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/).
 *
 *   measurement[,tag_key=tag_value…] field_key=field_value[,field_key=field_value…] [timestamp]
 *
 * - Measurement: commas and spaces escaped with `\`. Tag keys, tag values and field keys: commas,
 *   equals signs and spaces escaped. A backslash before any other character is kept as it is.
 * - Field values: float (`1`, `-1.5`, `1e3`), integer (`1i`), unsigned integer (`1u`), string
 *   (`"…"`, with `\"` and `\\` escaped; a line break inside is part of the string), boolean
 *   (`t`, `T`, `true`, `True`, `TRUE` and the same for false).
 * - At least one field; no empty tag value; one space between the sections.
 * - Timestamp: an integer at the write's precision, within what a signed 64-bit nanosecond count
 *   holds; absent means the server's time.
 * - Lines are separated by `\n`; blank lines and lines starting with `#` are skipped.
 */

export type Precision = 'ns' | 'us' | 'ms' | 's';
export type FieldValue =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint }
  | { type: 'unsigned'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Nanoseconds since the epoch; null when the line had none (the server's time applies). */
  timeNs: bigint | null;
}

/** What InfluxDB answers a line it cannot parse with (HTTP 400, code `invalid`). */
export class LineProtocolError extends Error {
  constructor(
    readonly line: string,
    readonly reason: string,
  ) {
    super(`unable to parse '${line}': ${reason}`);
  }
}

const NS_PER: Record<Precision, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };
/** The range InfluxDB accepts: a signed 64-bit nanosecond count, less its two reserved extremes. */
const MIN_NS = -9_223_372_036_854_775_806n;
const MAX_NS = 9_223_372_036_854_775_806n;
const MAX_INT = 9_223_372_036_854_775_807n;
const MAX_UINT = 18_446_744_073_709_551_615n;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEANS: Record<string, boolean> = {
  t: true,
  T: true,
  true: true,
  True: true,
  TRUE: true,
  f: false,
  F: false,
  false: false,
  False: false,
  FALSE: false,
};

/** Parses a whole write body at `precision`; throws LineProtocolError at the first bad line. */
export function parseLineProtocol(body: string, precision: Precision = 'ns'): Point[] {
  const points: Point[] = [];
  let at = 0;
  while (at < body.length) {
    const end = lineEnd(body, at);
    const line = body.slice(at, end);
    at = end + 1;
    if (line.trim() === '' || line.startsWith('#')) continue;
    points.push(parseLine(line, precision));
  }
  return points;
}

/** Where the line starting at `from` ends: the first `\n` outside a string field value. */
function lineEnd(body: string, from: number): number {
  let inString = false;
  let spaces = 0;
  for (let i = from; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inString) {
      if (c === '"') inString = false;
      continue;
    }
    if (c === '\n') return i;
    if (c === ' ') spaces += 1;
    // A string value opens with `"` right after a field key's `=`, in the fields section only.
    if (c === '"' && spaces === 1 && body[i - 1] === '=') inString = true;
  }
  return body.length;
}

/** A cursor over one line. */
class Reader {
  at = 0;
  constructor(readonly line: string) {}

  fail(reason: string): never {
    throw new LineProtocolError(this.line, reason);
  }

  isDone(): boolean {
    return this.at >= this.line.length;
  }

  peek(): string | undefined {
    return this.line[this.at];
  }

  /** Reads up to an unescaped stop character; `\` escapes only the characters in `escapable`. */
  readUntil(stops: string, escapable: string): string {
    let out = '';
    while (this.at < this.line.length) {
      const c = this.line[this.at]!;
      if (c === '\\' && this.at + 1 < this.line.length && escapable.includes(this.line[this.at + 1]!)) {
        out += this.line[this.at + 1];
        this.at += 2;
        continue;
      }
      if (stops.includes(c)) break;
      if (c === '\n') this.fail('invalid line break');
      out += c;
      this.at += 1;
    }
    return out;
  }

  expect(c: string, reason: string): void {
    if (this.line[this.at] !== c) this.fail(reason);
    this.at += 1;
  }
}

function parseLine(line: string, precision: Precision): Point {
  const r = new Reader(line);
  const measurement = r.readUntil(', ', ', ');
  if (measurement === '') r.fail('missing measurement');
  const tags: Record<string, string> = {};
  while (r.peek() === ',') {
    r.at += 1;
    const key = r.readUntil('=, ', ',= ');
    if (key === '') r.fail('missing tag key');
    if (r.peek() !== '=') r.fail('missing tag value');
    r.at += 1;
    const value = r.readUntil(', ', ',= ');
    if (value === '') r.fail('missing tag value');
    tags[key] = value;
  }
  if (r.isDone()) r.fail('missing fields');
  r.expect(' ', 'invalid tag format');
  const fields: Record<string, FieldValue> = {};
  for (;;) {
    if (r.peek() === ' ' || r.isDone()) r.fail('missing fields');
    const key = r.readUntil('=, ', ',= ');
    if (key === '') r.fail('missing field key');
    if (r.peek() !== '=') r.fail('missing field value');
    r.at += 1;
    fields[key] = readFieldValue(r);
    if (r.peek() !== ',') break;
    r.at += 1;
  }
  let timeNs: bigint | null = null;
  if (!r.isDone()) {
    r.expect(' ', 'invalid field format');
    const text = r.line.slice(r.at);
    if (!/^-?\d+$/.test(text)) r.fail(`invalid timestamp ${JSON.stringify(text)}`);
    timeNs = BigInt(text) * NS_PER[precision];
    if (timeNs < MIN_NS || timeNs > MAX_NS) r.fail('time outside range');
  }
  return { measurement, tags, fields, timeNs };
}

function readFieldValue(r: Reader): FieldValue {
  if (r.peek() === '"') {
    r.at += 1;
    let value = '';
    for (;;) {
      if (r.isDone()) r.fail('unterminated string field value');
      const c = r.line[r.at]!;
      if (c === '\\' && (r.line[r.at + 1] === '"' || r.line[r.at + 1] === '\\')) {
        value += r.line[r.at + 1];
        r.at += 2;
        continue;
      }
      r.at += 1;
      if (c === '"') break;
      value += c;
    }
    if (value.length > 65_535) r.fail('string field value longer than 64 KiB');
    if (r.peek() !== undefined && r.peek() !== ',' && r.peek() !== ' ') r.fail('invalid field format');
    return { type: 'string', value };
  }
  const start = r.at;
  while (!r.isDone() && r.peek() !== ',' && r.peek() !== ' ') r.at += 1;
  const text = r.line.slice(start, r.at);
  if (text === '') r.fail('missing field value');
  if (/^[+-]?\d+i$/.test(text)) {
    const value = BigInt(text.slice(0, -1));
    if (value > MAX_INT || value < -MAX_INT - 1n) r.fail(`integer value out of range: ${text}`);
    return { type: 'integer', value };
  }
  if (/^\d+u$/.test(text)) {
    const value = BigInt(text.slice(0, -1));
    if (value > MAX_UINT) r.fail(`unsigned value out of range: ${text}`);
    return { type: 'unsigned', value };
  }
  if (text in BOOLEANS) return { type: 'boolean', value: BOOLEANS[text]! };
  if (FLOAT.test(text)) {
    const value = Number(text);
    if (!Number.isFinite(value)) r.fail(`invalid float value: ${text}`);
    return { type: 'float', value };
  }
  return r.fail(`invalid field value: ${text}`);
}
