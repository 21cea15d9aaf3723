// This file is long because it checks every InfluxDB request and answer at the HTTP level, case
// by case, against a local server: the only verification possible without a real InfluxDB.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { DeadLetterRecord, EventRecord, EventStore } from '../../../collector/store/event-store.js';
import { checkInfluxAccess } from '../../../collector/store/influx-access-check.js';
import { createInfluxEventStore, type InfluxEventStoreOptions } from '../../../collector/store/influx-event-store.js';
import { tiebreakOf } from '../../../collector/store/influx-schema.js';
import { eventRecord as event, ms } from '../../support/event-records.js';
import {
  type FieldValue,
  LineProtocolError,
  parseLineProtocol,
  type Point,
  type Precision,
} from '../../support/influx-line-protocol.js';

/**
 * The InfluxDB adapter checked at the HTTP level, against a local server that records every
 * request and answers as InfluxDB 2.x would (or fails as told). Every write is parsed strictly as
 * line protocol (tests/support/influx-line-protocol.ts) and refused with InfluxDB's 400 when a
 * line is malformed, or 422 when a field changes type. No InfluxDB runs here: what these tests
 * prove is what the adapter sends and how it reacts, not what a real server does with it.
 */

interface SeenRequest {
  method: string;
  path: string;
  params: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The body as text, gunzipped when it was sent gzipped. */
  body: string;
  atMs: number;
}

/** An answer: a status with headers and body, or no answer at all, or a dropped connection. */
type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';
type Responder = (request: SeenRequest) => Reply;

const NO_CONTENT: Reply = { status: 204 };
const EMPTY_RESULT: Reply = { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: '' };

class FakeInflux {
  readonly requests: SeenRequest[] = [];
  /** Answers used once each, in order, before falling back to `defaults`. */
  readonly queued: Record<'write' | 'query' | 'buckets', Responder[]> = { write: [], query: [], buckets: [] };
  readonly defaults: Record<'write' | 'query' | 'buckets', Responder> = {
    write: (r) => this.accept(r),
    query: () => EMPTY_RESULT,
    buckets: (r) => json(200, { buckets: [{ id: '1', name: r.params.get('name') }] }),
  };
  /** Points of the writes accepted, parsed, in the order written. */
  readonly points: Point[] = [];
  /** The type each field has had, per measurement: a write changing it is refused, as InfluxDB does. */
  private readonly fieldTypes = new Map<string, FieldValue['type']>();
  private readonly hanging: ServerResponse[] = [];
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  writes(): SeenRequest[] {
    return this.requests.filter((r) => r.path === '/api/v2/write');
  }

  queries(): string[] {
    return this.requests.filter((r) => r.path === '/api/v2/query').map((r) => (JSON.parse(r.body) as { query: string }).query);
  }

  /**
   * Parses a write as InfluxDB does: the precision asked, then every line strictly; a bad line
   * is a 400 `invalid`, a field whose type changed a 422, and nothing of the request is kept.
   */
  private accept(request: SeenRequest): Reply {
    const precision = request.params.get('precision') ?? 'ns';
    if (!['ns', 'us', 'ms', 's'].includes(precision)) return influxError(400, 'invalid', `invalid precision "${precision}"`);
    let points: Point[];
    try {
      points = parseLineProtocol(request.body, precision as Precision);
    } catch (error) {
      if (error instanceof LineProtocolError) return influxError(400, 'invalid', error.message);
      throw error;
    }
    const types = new Map(this.fieldTypes);
    for (const point of points) {
      for (const [key, field] of Object.entries(point.fields)) {
        const known = types.get(`${point.measurement}\0${key}`);
        if (known !== undefined && known !== field.type) {
          return influxError(
            422,
            'unprocessable entity',
            `failure writing points to database: partial write: field type conflict: input field "${key}" on measurement "${point.measurement}" is type ${field.type}, already exists as type ${known} dropped=1`,
          );
        }
        types.set(`${point.measurement}\0${key}`, field.type);
      }
    }
    for (const [key, type] of types) this.fieldTypes.set(key, type);
    this.points.push(...points);
    return NO_CONTENT;
  }

  writtenLines(): string[] {
    return this.writes().flatMap((r) => r.body.split('\n'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const seen: SeenRequest = {
      method: req.method ?? '',
      path: url.pathname,
      params: url.searchParams,
      headers: req.headers,
      body: (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'),
      atMs: Date.now(),
    };
    this.requests.push(seen);
    const kind = ({ '/api/v2/write': 'write', '/api/v2/query': 'query', '/api/v2/buckets': 'buckets' } as const)[url.pathname];
    if (kind === undefined) return void res.writeHead(404).end();
    const reply = (this.queued[kind].shift() ?? this.defaults[kind])(seen);
    if (reply === 'hang') this.hanging.push(res);
    else if (reply === 'reset') req.socket.destroy();
    else res.writeHead(reply.status, reply.headers).end(reply.body);
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/** InfluxDB's error body: `{code, message}`. */
const influxError = (status: number, code: string, message: string, headers: Record<string, string> = {}): Reply =>
  json(status, { code, message }, headers);

/** A Flux result as InfluxDB sends it: annotated CSV with datatype, group and default rows. */
function fluxResult(rows: Array<Record<string, string | number>>): Reply {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const typeOf = (column: string): string => {
    if (['_time', '_start', '_stop'].includes(column)) return 'dateTime:RFC3339';
    const value = rows.find((row) => row[column] !== undefined)?.[column];
    return typeof value === 'number' ? (Number.isInteger(value) ? 'long' : 'double') : 'string';
  };
  const cell = (value: string | number | undefined): string => {
    const text = value === undefined ? '' : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [
    `#datatype,string,long,${columns.map(typeOf).join(',')}`,
    `#group,false,false,${columns.map(() => 'false').join(',')}`,
    `#default,_result,,${columns.map(() => '').join(',')}`,
    `,result,table,${columns.join(',')}`,
    ...rows.map((row) => `,,0,${columns.map((c) => cell(row[c])).join(',')}`),
  ];
  return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: `${lines.join('\r\n')}\r\n\r\n` };
}

const FAULT = event('CY-007-boot3-000042', '2023-03-01T17:05:09.123+08:00', {
  kioskId: 'CY-007',
  type: 'fault',
  extra: { faultId: 'f-1', component: 'rfid_reader', severity: 'critical', message: 'say "retry" \\ now' },
});

/** The nanosecond timestamp an event lands on when nothing else is in its millisecond. */
const ownTimestamp = (e: EventRecord): string => `${e.tsMs}${String(tiebreakOf(e.id)).padStart(6, '0')}`;

describe('InfluxDB event store at the HTTP level', () => {
  let influx: FakeInflux;
  const stores: EventStore[] = [];
  function open(options: Partial<InfluxEventStoreOptions> = {}): EventStore {
    const store = createInfluxEventStore({
      url: influx.url,
      token: 'test-token',
      org: 'city library',
      bucket: 'kiosk events',
      timeZone: 'Asia/Shanghai',
      timeoutMs: 300,
      maxRetries: 2,
      minRetryDelayMs: 5,
      maxRetryDelayMs: 2000,
      ...options,
    });
    stores.push(store);
    return store;
  }

  beforeEach(async () => {
    influx = new FakeInflux();
    await influx.start();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    await influx.stop();
  });

  describe('the fake itself', () => {
    const write = (body: string, precision = 'ns') =>
      fetch(`${influx.url}/api/v2/write?org=o&bucket=b&precision=${precision}`, { method: 'POST', body }).then(async (res) => ({
        status: res.status,
        body: res.status === 204 ? null : ((await res.json()) as unknown),
      }));

    test("refuses a malformed line with InfluxDB's 400 and error body, keeping nothing of the request", async () => {
      expect(await write('m v=1i 1\nm,tag= v=1i 2')).toEqual({
        status: 400,
        body: { code: 'invalid', message: "unable to parse 'm,tag= v=1i 2': missing tag value" },
      });
      expect(influx.points).toEqual([]);
    });

    test('refuses a field whose type changed with a 422, as InfluxDB does; accepts the same type again', async () => {
      expect(await write('m v=1i 1')).toEqual({ status: 204, body: null });
      expect(await write('m v=1.5 2')).toMatchObject({ status: 422, body: { code: 'unprocessable entity' } });
      expect(await write('m v=2i 3')).toEqual({ status: 204, body: null });
      expect(influx.points.map((p) => p.timeNs)).toEqual([1n, 3n]);
    });

    test('refuses a precision InfluxDB does not know', async () => {
      expect(await write('m v=1i 1', 'm')).toEqual({ status: 400, body: { code: 'invalid', message: 'invalid precision "m"' } });
    });
  });

  describe('writes', () => {
    test('an append posts to /api/v2/write with org, bucket, ns precision and the token, and resolves on 204', async () => {
      const store = open();

      expect(await store.append([FAULT])).toEqual({ inserted: [FAULT.id], duplicates: [], conflicts: [] });

      const [write] = influx.writes();
      expect(write).toMatchObject({ method: 'POST', path: '/api/v2/write' });
      expect(Object.fromEntries(write!.params)).toEqual({ org: 'city library', bucket: 'kiosk events', precision: 'ns' });
      expect(write!.headers.authorization).toBe('Token test-token');
      expect(write!.headers['content-type']).toBe('text/plain; charset=utf-8');
    });

    test('an event is one kiosk_event line: bounded tags, id and event in fields, integers with i, its time in ns', async () => {
      const store = open({ districtOf: (id) => (id === 'CY-007' ? 'Chaoyang' : undefined) });
      await store.append([FAULT]);

      expect(influx.writtenLines()).toEqual([
        String.raw`kiosk_event,component=rfid_reader,district=Chaoyang,kiosk=CY-007,type=fault ` +
          String.raw`data="{\"id\":\"CY-007-boot3-000042\",\"ts\":\"2023-03-01T17:05:09.123+08:00\",\"type\":\"fault\",` +
          String.raw`\"faultId\":\"f-1\",\"component\":\"rfid_reader\",\"severity\":\"critical\",\"message\":\"say \\\"retry\\\" \\\\ now\"}",` +
          String.raw`id="CY-007-boot3-000042",received_ms=1704067200000i,ts="2023-03-01T17:05:09.123+08:00",ts_ms=1677661509123i ` +
          ownTimestamp(FAULT),
      ]);
      // Read back as InfluxDB reads it: the escaped JSON is the event again, the numbers integers.
      expect(influx.points).toEqual([
        {
          measurement: 'kiosk_event',
          tags: { component: 'rfid_reader', district: 'Chaoyang', kiosk: 'CY-007', type: 'fault' },
          fields: {
            data: { type: 'string', value: JSON.stringify(FAULT.data) },
            id: { type: 'string', value: FAULT.id },
            received_ms: { type: 'integer', value: 1704067200000n },
            ts: { type: 'string', value: FAULT.ts },
            ts_ms: { type: 'integer', value: BigInt(FAULT.tsMs) },
          },
          timeNs: BigInt(ownTimestamp(FAULT)),
        },
      ]);
    });

    test('spaces, commas and equals signs in tag values are escaped, and a district loses backslashes and line breaks', async () => {
      const store = open({ districtOf: () => 'Chao yang,East=1\\\n' });
      await store.append([event('e-1', '2023-03-01T08:00:00Z', { kioskId: 'CY-001' })]);

      expect(influx.writtenLines()[0]).toMatch(/^kiosk_event,district=Chao\\ yang\\,East\\=1,kiosk=CY-001,type=loan /);
    });

    test('a platform event has no kiosk tag and a machine without district no district tag: no tag is ever empty', async () => {
      const store = open({ districtOf: () => '' });
      await store.append([event('home-1', '2023-03-01T08:00:00Z', { kioskId: '', type: 'reservation_created' })]);

      expect(influx.writtenLines()[0]).toMatch(/^kiosk_event,type=reservation_created data=/);
    });

    test('a redelivered event lands on the same timestamp, and two events of one millisecond on different ones', async () => {
      const store = open();
      const first = event('e-1', '2023-03-01T08:00:00.007Z');
      const sameMillisecond = event('e-2', '2023-03-01T08:00:00.007Z');
      await store.append([first]);
      await store.append([first]); // the lookup finds nothing (as with InfluxDB Cloud's delayed reads)
      await store.append([sameMillisecond]);

      const times = influx.writtenLines().map((line) => line.split(' ').at(-1)!);
      expect(times).toEqual([ownTimestamp(first), ownTimestamp(first), ownTimestamp(sameMillisecond)]);
      expect(times[0]).not.toBe(times[2]);
      expect(times.every((t) => t.startsWith(String(first.tsMs)))).toBe(true);
    });

    test('when another stored event holds the nanosecond an event hashes to, it takes the next free one', async () => {
      const store = open();
      const loan = event('e-1', '2023-03-01T08:00:00Z');
      const taken = BigInt(ownTimestamp(loan));
      const nanos = (ns: bigint) => `2023-03-01T08:00:00.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
      influx.queued.query.push(() => fluxResult([{ _time: nanos(taken), _value: 'someone-else' }]));

      expect(await store.append([loan])).toEqual({ inserted: ['e-1'], duplicates: [], conflicts: [] });
      expect(influx.writtenLines()[0]!.split(' ').at(-1)).toBe(String(taken + 1n));
    });

    test('a large batch is gzipped, in requests of at most 5000 lines', async () => {
      // Compressing 5,000 lines can take longer than the harness's short timeout on a loaded
      // machine, and a timed-out request is retried: this test is about the requests, not timeouts.
      const store = open({ timeoutMs: 10_000 });
      const start = ms('2023-03-01T00:00:00Z');
      const many = Array.from({ length: 6000 }, (_, i) => event(`n-${i}`, new Date(start + i * 1000).toISOString()));

      expect((await store.append(many)).inserted).toHaveLength(6000);

      const writes = influx.writes();
      expect(writes.map((w) => w.headers['content-encoding'])).toEqual(['gzip', 'gzip']);
      expect(writes.map((w) => w.body.split('\n').length)).toEqual([5000, 1000]);
    });

    test('a small body is sent as is', async () => {
      const store = open({ gzipThresholdBytes: 100_000 });
      await store.append([FAULT]);

      expect(influx.writes()[0]!.headers['content-encoding']).toBeUndefined();
    });

    test('telemetry is one kiosk_telemetry line per message, every reading a float (no i suffix), at the reading time', async () => {
      const store = open();
      await store.appendTelemetry([
        { kioskId: 'CY-001', tsMs: ms('2023-03-01T08:01:00Z'), readings: { temperatureC: 21.5, booksAvailable: 312 } },
        { kioskId: 'CY-002', tsMs: ms('2023-03-01T08:02:00Z'), readings: {} },
      ]);

      expect(influx.writtenLines()).toEqual([
        'kiosk_telemetry,kiosk=CY-001 booksAvailable=312,temperatureC=21.5 1677657660000000000',
      ]);
      expect(influx.points.map((p) => p.fields)).toEqual([
        { booksAvailable: { type: 'float', value: 312 }, temperatureC: { type: 'float', value: 21.5 } },
      ]);
    });

    test('a dead letter keeps its whole record in one JSON field, with a one-line detail and an increasing seq', async () => {
      const store = open();
      const letter: DeadLetterRecord = {
        receivedMs: ms('2024-01-01T00:00:00Z'),
        topic: 'kiosks/CY-001/events',
        kioskId: 'CY-001',
        reason: 'invalid_json',
        detail: 'Unexpected token\nat 3',
        payloadExcerpt: '{"id":\n',
      };
      await store.appendDeadLetters([letter, { ...letter, kioskId: 'not a kiosk id' }]);

      const lines = influx.writtenLines();
      expect(lines[0]).toBe(
        String.raw`dead_letter,kiosk=CY-001,reason=invalid_json detail="Unexpected token at 3",` +
          String.raw`record="{\"receivedMs\":1704067200000,\"topic\":\"kiosks/CY-001/events\",\"kioskId\":\"CY-001\",` +
          String.raw`\"reason\":\"invalid_json\",\"detail\":\"Unexpected token\\nat 3\",\"payloadExcerpt\":\"{\\\"id\\\":\\n\"}",` +
          String.raw`seq=1704067200000000i,topic="kiosks/CY-001/events" 1704067200000000000`,
      );
      expect(lines[1]).toMatch(/^dead_letter,reason=invalid_json .*seq=1704067200000001i.* 1704067200000001000$/);
    });
  });

  describe('idempotence', () => {
    test('before writing, the ids are looked up in a window around their times, with the milliseconds they need', async () => {
      const store = open({ dedupeWindowMs: 3_600_000 });
      await store.append([event('e-1', '2023-03-01T08:00:00Z'), event('e-2', '2023-03-01T08:00:00.5Z')]);

      expect(influx.queries()).toEqual([
        [
          'from(bucket: "kiosk events")',
          '  |> range(start: 2023-03-01T07:00:00.000Z, stop: 2023-03-01T09:00:00.501Z)',
          '  |> filter(fn: (r) => r._measurement == "kiosk_event" and r._field == "id")',
          '  |> filter(fn: (r) => contains(value: r._value, set: ["e-1", "e-2"]) or contains(value: int(v: r._time) / 1000000, set: [1677657600000, 1677657600500]))',
          '  |> keep(columns: ["_time", "_value"])',
          '',
        ].join('\n'),
      ]);
      expect(influx.queries()).toHaveLength(1);
      expect(influx.requests.find((r) => r.path === '/api/v2/query')!.params.get('org')).toBe('city library');
    });

    test('events found stored are reported as duplicates and not written again; repeats in a batch are duplicates', async () => {
      const store = open();
      influx.queued.query.push(() => fluxResult([{ _time: '2023-03-01T08:00:00.123456789Z', _value: 'old' }]));
      const batch = ['x', 'old', 'x'].map((id) => event(id, '2023-03-01T08:00:00.123Z'));

      expect(await store.append(batch)).toEqual({ inserted: ['x'], duplicates: ['old', 'x'], conflicts: [] });
      expect(influx.writtenLines().map((l) => /id="([^"]+)"/.exec(l)![1])).toEqual(['x']);
    });

    test('an event found stored is read back in full: the same one is a duplicate, another one a conflict', async () => {
      const store = open();
      const stored = event('old', '2023-03-01T08:00:00.123Z', { extra: { itemId: 'B-1' } });
      const storedRow = {
        _time: '2023-03-01T08:00:00.123456789Z',
        id: stored.id,
        kiosk: stored.kioskId,
        type: stored.type,
        ts: stored.ts,
        ts_ms: stored.tsMs,
        received_ms: stored.receivedMs,
        data: JSON.stringify(stored.data),
      };
      const lookUp = () => fluxResult([{ _time: storedRow._time, _value: 'old' }]);
      influx.queued.query.push(lookUp, () => fluxResult([storedRow]));
      expect(await store.append([{ ...stored, receivedMs: stored.receivedMs + 1 }])).toEqual({
        inserted: [],
        duplicates: ['old'],
        conflicts: [],
      });

      const reused = event('old', '2023-03-01T08:00:00.123Z', { type: 'return', extra: { itemId: 'B-1' } });
      influx.queued.query.push(lookUp, () => fluxResult([storedRow]));
      expect(await store.append([reused])).toEqual({
        inserted: [],
        duplicates: [],
        conflicts: [{ id: 'old', stored, refused: reused }],
      });
      expect(influx.queries().at(-1)).toContain('contains(value: r.id, set: ["old"])');
      expect(influx.writtenLines()).toEqual([]);
    });

    test('a batch of 1200 ids is looked up in queries of at most 500', async () => {
      const store = open();
      await store.append(Array.from({ length: 1200 }, (_, i) => event(`b-${i}`, '2023-03-01T08:00:00Z')));

      expect(influx.queries().map((q) => (q.match(/"b-\d+"/g) ?? []).length)).toEqual([500, 500, 200]);
    });

    test('events far apart in time are looked up in separate queries, each over its own window', async () => {
      const store = open({ dedupeWindowMs: 3_600_000 });
      await store.append([event('late', '2023-03-04T08:00:00Z'), event('early', '2023-03-01T08:00:00Z')]);

      expect(influx.queries().map((q) => /range\(([^)]*)\)/.exec(q)![1])).toEqual([
        'start: 2023-03-01T07:00:00.000Z, stop: 2023-03-01T09:00:00.001Z',
        'start: 2023-03-04T07:00:00.000Z, stop: 2023-03-04T09:00:00.001Z',
      ]);
    });

    test('an event whose write timed out but which InfluxDB stored is reported inserted by the next append', async () => {
      const store = open({ maxRetries: 0 });
      const loan = event('e-1', '2023-03-01T08:00:00Z');
      influx.queued.write.push(() => 'hang');
      await expect(store.append([loan])).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });

      influx.queued.query.push(() => fluxResult([{ _time: '2023-03-01T08:00:00.000123Z', _value: 'e-1' }]));
      expect(await store.append([loan])).toEqual({ inserted: ['e-1'], duplicates: [], conflicts: [] });
      influx.queued.query.push(() => fluxResult([{ _time: '2023-03-01T08:00:00.000123Z', _value: 'e-1' }]));
      expect(await store.append([loan])).toEqual({ inserted: [], duplicates: ['e-1'], conflicts: [] });
    });
  });

  describe('when InfluxDB fails', () => {
    test('503 is retried with backoff, and the append resolves once a write is accepted', async () => {
      const store = open();
      influx.queued.write.push(() => influxError(503, 'unavailable', 'service unavailable'));

      expect(await store.append([FAULT])).toEqual({ inserted: [FAULT.id], duplicates: [], conflicts: [] });
      const writes = influx.writes();
      expect(writes).toHaveLength(2);
      expect(writes[1]!.body).toBe(writes[0]!.body);
    });

    test('429 with Retry-After is retried after that many seconds, not after the backoff', async () => {
      const store = open({ minRetryDelayMs: 1 });
      influx.queued.write.push(() => influxError(429, 'too many requests', 'slow down', { 'retry-after': '1' }));

      await store.append([FAULT]);

      const [first, second] = influx.writes();
      expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(990);
    });

    test('a Retry-After longer than the longest wait rejects at once, reporting the delay for the caller', async () => {
      const store = open({ maxRetryDelayMs: 500 });
      influx.queued.write.push(() => influxError(429, 'too many requests', 'slow down', { 'retry-after': '30' }));

      await expect(store.append([FAULT])).rejects.toMatchObject({
        code: 'STORE_WRITE_FAILED',
        status: 429,
        retryAfterMs: 30_000,
        unwrittenPoints: 1,
      });
      expect(influx.writes()).toHaveLength(1);
    });

    test.each([
      [401, 'unauthorized', 'unauthorized access'],
      [400, 'invalid', 'unable to parse: bad timestamp'],
      [404, 'not found', 'bucket "kiosk events" not found'],
      [422, 'unprocessable entity', 'field type conflict'],
    ])('%i rejects at once with STORE_WRITE_FAILED, the status and what InfluxDB said', async (status, code, message) => {
      const store = open();
      influx.defaults.write = () => influxError(status, code, message);

      const failure = store.append([FAULT, event('e-2', '2023-03-01T08:00:00Z')]);

      await expect(failure).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED', status, unwrittenPoints: 2 });
      await expect(failure).rejects.toThrow(message);
      expect(influx.writes()).toHaveLength(1);
    });

    test('a server that never answers fails each attempt at the time-out, and the append rejects after the retries', async () => {
      const store = open({ timeoutMs: 150, maxRetries: 2 });
      influx.defaults.write = () => 'hang';

      await expect(store.append([FAULT])).rejects.toMatchObject({
        code: 'STORE_WRITE_FAILED',
        message: expect.stringMatching(/no answer before the time-out after 3 attempts; 1 points not written/),
      });
      expect(influx.writes()).toHaveLength(3);
    });

    test('a connection reset is retried, and the append resolves when the next attempt succeeds', async () => {
      const store = open();
      influx.queued.write.push(() => 'reset');

      expect(await store.append([FAULT])).toEqual({ inserted: [FAULT.id], duplicates: [], conflicts: [] });
      expect(influx.writes()).toHaveLength(2);
    });

    test('a connection reset at every attempt rejects with the points not written', async () => {
      const store = open({ maxRetries: 1 });
      influx.defaults.write = () => 'reset';

      await expect(store.append([FAULT])).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED', unwrittenPoints: 1 });
      expect(influx.writes()).toHaveLength(2);
    });

    test('a failing lookup rejects the append before anything is written', async () => {
      const store = open({ maxRetries: 0 });
      influx.queued.query.push(() => influxError(500, 'internal error', 'engine exploded'));

      await expect(store.append([FAULT])).rejects.toMatchObject({ code: 'STORE_READ_FAILED', status: 500 });
      expect(influx.writes()).toHaveLength(0);
    });

    test('a query answered 503 is retried; one answered 400 rejects with STORE_READ_FAILED and the message', async () => {
      const store = open();
      influx.queued.query.push(() => influxError(503, 'unavailable', 'starting'));
      expect(await store.countDeadLetters()).toBe(0);
      expect(influx.queries()).toHaveLength(2);

      influx.queued.query.push(() => influxError(400, 'invalid', 'error @3:6-3:9: undefined identifier fro'));
      await expect(store.countDeadLetters()).rejects.toMatchObject({
        code: 'STORE_READ_FAILED',
        status: 400,
        message: expect.stringMatching(/fro/),
      });
    });

    test('an error table at the end of a query result rejects the read', async () => {
      const store = open();
      influx.queued.query.push(() => fluxResult([{ error: 'panic: runtime error', reference: 897 }]));

      await expect(store.countDeadLetters()).rejects.toMatchObject({
        code: 'STORE_READ_FAILED',
        message: expect.stringMatching(/panic/),
      });
    });
  });

  describe('reads', () => {
    const row = (e: EventRecord) => ({
      _time: `${new Date(e.tsMs).toISOString().slice(0, -1)}000123Z`,
      _measurement: 'kiosk_event',
      kiosk: e.kioskId,
      type: e.type,
      data: JSON.stringify(e.data),
      id: e.id,
      received_ms: e.receivedMs,
      ts: e.ts,
      ts_ms: e.tsMs,
    });

    test('events are read from where they start, one window at a time, with filters pushed down and the cursor applied', async () => {
      const store = open();
      const fault = event('f-2', '2023-03-01T09:30:00+08:00', { type: 'fault', extra: { note: 'a, "b"' } });
      influx.queued.query.push(
        () => fluxResult([{ _time: '2023-03-01T01:00:00.000123Z' }]),
        () => fluxResult([row(fault)]),
      );

      const events = await store.readEvents({
        kioskId: 'CY-001',
        types: ['fault', 'status'],
        fromMs: ms('2023-03-01T00:00:00Z'),
        limit: 1,
        after: { tsMs: ms('2023-03-01T01:00:00Z'), id: 'f-1' },
      });

      expect(events).toEqual([fault]);
      const filter = 'r._measurement == "kiosk_event" and r.kiosk == "CY-001" and (r.type == "fault" or r.type == "status")';
      expect(influx.queries()).toEqual([
        [
          'from(bucket: "kiosk events")',
          '  |> range(start: 2023-03-01T01:00:00.000Z, stop: 2262-01-01T00:00:00.000Z)',
          `  |> filter(fn: (r) => ${filter.replace('"kiosk_event"', '"kiosk_event" and r._field == "ts_ms"')})`,
          '  |> first()',
          '  |> group()',
          '  |> sort(columns: ["_time"], desc: false)',
          '  |> limit(n: 1)',
          '  |> keep(columns: ["_time"])',
          '',
        ].join('\n'),
        [
          'from(bucket: "kiosk events")',
          '  |> range(start: 2023-03-01T01:00:00.000Z, stop: 2023-03-01T02:00:00.000Z)',
          `  |> filter(fn: (r) => ${filter})`,
          '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
          '  |> group()',
          '  |> filter(fn: (r) => r.ts_ms > 1677632400000 or (r.ts_ms == 1677632400000 and r.id > "f-1"))',
          '  |> sort(columns: ["ts_ms", "id"], desc: false)',
          '  |> limit(n: 1)',
          '',
        ].join('\n'),
      ]);
    });

    test('newest first, reads go backwards from the last event in windows that grow until the limit is met', async () => {
      const store = open();
      const late = event('e-9', '2023-03-01T12:00:00Z');
      const early = event('e-1', '2023-03-01T10:30:00Z');
      influx.queued.query.push(
        () => fluxResult([{ _time: '2023-03-01T12:00:00.000456Z' }]),
        () => fluxResult([row(late)]),
        () => fluxResult([{ _time: '2023-03-01T10:30:00.000789Z' }]),
        () => fluxResult([row(early)]),
      );

      expect(await store.readEvents({ order: 'desc', limit: 5 })).toEqual([late, early]);

      const ranges = influx.queries().map((q) => /range\(([^)]*)\)/.exec(q)![1]);
      expect(ranges).toEqual([
        'start: 1970-01-01T00:00:00.000Z, stop: 2262-01-01T00:00:00.000Z',
        'start: 2023-03-01T11:00:00.001Z, stop: 2023-03-01T12:00:00.001Z',
        'start: 1970-01-01T00:00:00.000Z, stop: 2023-03-01T11:00:00.001Z',
        'start: 2023-03-01T06:30:00.001Z, stop: 2023-03-01T10:30:00.001Z',
        'start: 1970-01-01T00:00:00.000Z, stop: 2023-03-01T06:30:00.001Z',
      ]);
      expect(influx.queries()[1]).toContain('|> sort(columns: ["ts_ms", "id"], desc: true)');
      expect(influx.queries()[1]).toContain('|> limit(n: 5)');
      expect(influx.queries()[3]).toContain('|> limit(n: 4)');
    });

    test('strings in queries are escaped, so no value can change a query', async () => {
      const store = open({ bucket: 'b"k' });
      await store.readEvents({ kioskId: 'x" or true or "${y}\\', types: ['a\nb'] });

      expect(influx.queries()[0]).toContain(
        String.raw`from(bucket: "b\"k")` +
          '\n  |> range(start: 1970-01-01T00:00:00.000Z, stop: 2262-01-01T00:00:00.000Z)\n' +
          String.raw`  |> filter(fn: (r) => r._measurement == "kiosk_event" and r._field == "ts_ms" and r.kiosk == "x\" or true or \"\${y}\\" and r.type == "a\nb")`,
      );
    });

    test('platform events (no kiosk) are asked for as rows without the kiosk tag', async () => {
      const store = open();
      await store.readEvents({ kioskId: '' });

      expect(influx.queries()[0]).toContain('r._measurement == "kiosk_event" and r._field == "ts_ms" and not exists r.kiosk)');
    });

    test('counts per local day in Asia/Shanghai are windowed by InfluxDB at +8 h and summed per day and type', async () => {
      const store = open();
      influx.queued.query.push(() =>
        fluxResult([
          { _time: '2023-01-31T16:00:00Z', type: 'loan', _value: 3 },
          { _time: '2023-01-31T16:00:00Z', type: 'return', _value: 1 },
          { _time: '2023-01-30T16:00:00Z', type: 'loan', _value: 2 },
        ]),
      );

      expect(
        await store.countByPeriod({ granularity: 'day', fromDay: '2023-01-31', toDay: '2023-02-02', types: ['loan', 'return'] }),
      ).toEqual([
        { period: '2023-01-31', type: 'loan', count: 2 },
        { period: '2023-02-01', type: 'loan', count: 3 },
        { period: '2023-02-01', type: 'return', count: 1 },
      ]);
      expect(influx.queries()).toEqual([
        [
          'import "timezone"',
          '',
          'from(bucket: "kiosk events")',
          '  |> range(start: 2023-01-30T16:00:00.000Z, stop: 2023-02-01T16:00:00.000Z)',
          '  |> filter(fn: (r) => r._measurement == "kiosk_event" and r._field == "id" and (r.type == "loan" or r.type == "return"))',
          '  |> aggregateWindow(every: 1d, fn: count, location: timezone.fixed(offset: 480m), timeSrc: "_start", createEmpty: false)',
          '  |> group(columns: ["_time", "type"])',
          '  |> sum()',
          '  |> group()',
          '',
        ].join('\n'),
      ]);
    });

    test('counts per month by kiosk group by kiosk too, and a month cut by the range is still its month', async () => {
      const store = open();
      influx.queued.query.push(() =>
        fluxResult([
          { _time: '2023-01-30T16:00:00Z', kiosk: 'CY-002', type: 'loan', _value: 4 },
          { _time: '2023-01-31T16:00:00Z', kiosk: 'CY-001', type: 'loan', _value: 7 },
        ]),
      );

      expect(
        await store.countByPeriod({
          granularity: 'month',
          byKiosk: true,
          kioskIds: ['CY-001', 'CY-002'],
          fromDay: '2023-01-31',
          toDay: '2023-03-01',
        }),
      ).toEqual([
        { period: '2023-01', kioskId: 'CY-002', type: 'loan', count: 4 },
        { period: '2023-02', kioskId: 'CY-001', type: 'loan', count: 7 },
      ]);
      const [flux] = influx.queries();
      expect(flux).toContain('and (r.kiosk == "CY-001" or r.kiosk == "CY-002")');
      expect(flux).toContain('aggregateWindow(every: 1mo, fn: count, location: timezone.fixed(offset: 480m)');
      expect(flux).toContain('|> group(columns: ["_time", "type", "kiosk"])');
    });

    test('counts in a zone with daylight saving name the zone, since its offset changes within the range', async () => {
      const store = open({ timeZone: 'Europe/Paris' });
      await store.countByPeriod({ granularity: 'month', fromDay: '2023-01-01', toDay: '2024-01-01' });
      await store.countByPeriod({ granularity: 'day', fromDay: '2023-07-01', toDay: '2023-07-08' });

      expect(influx.queries()[0]).toContain('location: timezone.location(name: "Europe/Paris")');
      expect(influx.queries()[1]).toContain('location: timezone.fixed(offset: 120m)');
    });

    test('an empty range, list of kiosks or list of types is answered without a query', async () => {
      const store = open();

      expect(await store.countByPeriod({ granularity: 'day', fromDay: '2023-02-01', toDay: '2023-02-01' })).toEqual([]);
      expect(await store.countByPeriod({ granularity: 'day', fromDay: '2023-02-01', toDay: '2023-03-01', kioskIds: [] })).toEqual(
        [],
      );
      expect(await store.readEvents({ types: [] })).toEqual([]);
      expect(influx.queries()).toEqual([]);
    });

    test('telemetry comes back newest first with readings as sent; dead letters with their seq', async () => {
      const store = open();
      influx.queued.query.push(
        () => fluxResult([{ _time: '2023-03-01T08:01:00Z' }]),
        () => fluxResult([{ _time: '2023-03-01T08:01:00Z', kiosk: 'CY-001', temperatureC: 21.5, paperPercent: 80 }]),
      );
      expect(await store.readTelemetry({ kioskId: 'CY-001', limit: 1 })).toEqual([
        { kioskId: 'CY-001', tsMs: ms('2023-03-01T08:01:00Z'), readings: { temperatureC: 21.5, paperPercent: 80 } },
      ]);

      const letter = { receivedMs: 5, topic: 't', reason: 'schema', detail: 'd', payloadExcerpt: '{' };
      influx.queued.query.push(
        () => fluxResult([{ _time: '1970-01-01T00:00:00.005001Z' }]),
        () => fluxResult([{ _time: '1970-01-01T00:00:00.005001Z', seq: 5001, record: JSON.stringify(letter) }]),
      );
      expect(await store.readDeadLetters({ beforeSeq: 6000, limit: 1 })).toEqual([{ seq: 5001, ...letter }]);
      const deadLetterRead = influx.queries().at(-1)!;
      expect(deadLetterRead).toContain('|> range(start: 1970-01-01T00:00:00.000Z, stop: 1970-01-01T00:00:00.006Z)');
      expect(deadLetterRead).toContain('|> filter(fn: (r) => r.seq < 6000)');
      expect(deadLetterRead).toContain('|> sort(columns: ["seq"], desc: true)');
    });
  });

  describe('closing', () => {
    test('close waits for a write in progress and reports its points as not written; then calls get STORE_CLOSED', async () => {
      const store = open();
      influx.defaults.write = () => 'hang';
      const appending = store.append([FAULT]);
      await expect.poll(() => influx.writes().length).toBe(1);

      const closing = store.close();

      await expect(appending).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED', unwrittenPoints: 1 });
      await expect(closing).rejects.toMatchObject({ code: 'STORE_CLOSE_FAILED', unwrittenPoints: 1 });
      expect(influx.writes()).toHaveLength(1); // closing cut the retries short
      await expect(store.append([FAULT])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      await expect(store.readEvents({})).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      await expect(store.close()).resolves.toBeUndefined();
    });

    test('close after successful writes resolves: nothing is held back between calls', async () => {
      const store = open();
      await store.append([FAULT]);

      await expect(store.close()).resolves.toBeUndefined();
    });
  });

  describe('start-up check', () => {
    const check = (overrides: { timeZone?: string } = {}) =>
      checkInfluxAccess({
        url: influx.url,
        token: 'test-token',
        org: 'city library',
        bucket: 'kiosk events',
        timeZone: 'Asia/Shanghai',
        timeoutMs: 1000,
        ...overrides,
      });

    test('passes when the bucket exists and the token may read and write it, leaving one startup_check point', async () => {
      await check();

      const buckets = influx.requests[0]!;
      expect(buckets).toMatchObject({ method: 'GET', path: '/api/v2/buckets' });
      expect(Object.fromEntries(buckets.params)).toEqual({ org: 'city library', name: 'kiosk events' });
      expect(buckets.headers.authorization).toBe('Token test-token');
      expect(influx.queries()).toEqual(['from(bucket: "kiosk events")\n  |> range(start: -1m)\n  |> limit(n: 1)\n']);
      expect(influx.writtenLines()).toEqual([expect.stringMatching(/^startup_check ok=T \d{19}$/)]);
    });

    test('a zone with daylight saving is loaded by name, so a server without zone data fails the check', async () => {
      influx.queued.query.push(() =>
        influxError(500, 'internal error', 'error calling function "location": unknown time zone Europe/Paris'),
      );

      await expect(check({ timeZone: 'Europe/Paris' })).rejects.toThrow(/no time zone data for Europe\/Paris \(FLEET_TZ\)/);
      expect(influx.queries()[0]).toContain('option location = timezone.location(name: "Europe/Paris")');
    });

    test.each<[string, () => void, RegExp]>([
      [
        'a refused token',
        () => influx.queued.buckets.push(() => influxError(401, 'unauthorized', 'unauthorized access')),
        /refused INFLUX_TOKEN \(401/,
      ],
      [
        'an unknown organization',
        () => influx.queued.buckets.push(() => influxError(404, 'not found', 'organization name "city library" not found')),
        /no organization "city library" \(INFLUX_ORG\)/,
      ],
      [
        'a missing bucket',
        () => influx.queued.buckets.push(() => json(200, { buckets: [] })),
        /no bucket "kiosk events" in organization "city library" \(INFLUX_BUCKET\)/,
      ],
      [
        'a token that may not read',
        () => influx.queued.query.push(() => influxError(403, 'forbidden', 'insufficient permissions')),
        /INFLUX_TOKEN may not read bucket/,
      ],
      [
        'a server without Flux',
        () => influx.queued.query.push(() => ({ status: 404, body: '404 page not found' })),
        /runs no Flux queries/,
      ],
      [
        'a token that may not write',
        () => influx.queued.write.push(() => influxError(403, 'forbidden', 'insufficient permissions for write')),
        /INFLUX_TOKEN may not write to bucket "kiosk events"/,
      ],
    ])('%s fails the check with STORE_OPEN_FAILED and one line naming the setting', async (_, arrange, message) => {
      arrange();

      const failure = check();

      await expect(failure).rejects.toMatchObject({ code: 'STORE_OPEN_FAILED', message });
      await expect(failure).rejects.toThrow(/^[^\n]+$/);
    });

    test('an unreachable server fails the check, naming INFLUX_URL', async () => {
      const url = influx.url;
      await influx.stop();
      influx = new FakeInflux();
      await influx.start();

      await expect(
        checkInfluxAccess({ url, token: 't', org: 'o', bucket: 'b', timeZone: 'UTC', timeoutMs: 500 }),
      ).rejects.toMatchObject({
        code: 'STORE_OPEN_FAILED',
        message: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(INFLUX_URL\): .*ECONNREFUSED/),
      });
    });
  });
});
