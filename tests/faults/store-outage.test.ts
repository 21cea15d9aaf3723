import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Ingest } from '../../collector/ingest.js';
import type { EventStore } from '../../collector/store/event-store.js';
import { createInfluxEventStore } from '../../collector/store/influx-event-store.js';
import { openSpool, type Spool } from '../../collector/store/spool.js';
import { createTopics, type EventAck } from '../../protocol/index.js';
import { type AppendLog, deliveryVerdict, recordAppends } from '../support/delivery-check.js';
import { LineProtocolError, parseLineProtocol } from '../support/influx-line-protocol.js';

type Mode = 'ok' | '503' | '429' | 'hang' | 'reset';

/**
 * A stand-in for InfluxDB's HTTP API that keeps the event points it accepted and fails as told:
 * 503, 429 with Retry-After, no answer at all, or a dropped connection. Queries answer an empty
 * result (no event known yet), so nothing here hides a second write of the same event.
 */
class FlakyInflux {
  mode: Mode = 'ok';
  /** Ids of the event points accepted (parsed strictly as line protocol), in the order written. */
  readonly eventIds: string[] = [];
  readonly failures: Record<Mode, number> = { ok: 0, '503': 0, '429': 0, hang: 0, reset: 0 };
  private readonly hanging: ServerResponse[] = [];
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));
  url = '';

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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const mode = this.mode;
    if (mode !== 'ok') this.failures[mode] += 1;
    switch (mode) {
      case '503':
        return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"unavailable","message":"down"}');
      case '429':
        return void res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
          .end('{"code":"too many requests","message":"slow down"}');
      case 'hang':
        return void this.hanging.push(res);
      case 'reset':
        return void req.socket.destroy();
      case 'ok':
        break;
    }
    if (path === '/api/v2/write') {
      try {
        for (const point of parseLineProtocol(body, 'ns')) {
          const id = point.fields.id;
          if (point.measurement === 'kiosk_event' && id?.type === 'string') this.eventIds.push(id.value);
        }
      } catch (error) {
        if (!(error instanceof LineProtocolError)) throw error;
        return void res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 'invalid', message: error.message }));
      }
      return void res.writeHead(204).end();
    }
    if (path === '/api/v2/query') return void res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end('');
    res.writeHead(404).end();
  }
}

const topics = createTopics('kiosks');
const logger = pino({ level: 'silent' });
const KIOSKS = 20;

describe('a store outage: the InfluxDB endpoint answers 503, 429 with Retry-After, hangs, resets, then recovers', () => {
  let influx: FlakyInflux;
  let dir: string;
  let store: EventStore;
  let appends: AppendLog;
  let spool: Spool;
  let ingest: Ingest | undefined;
  let producer: Promise<void> | undefined;
  let isSending = false;

  beforeAll(async () => {
    influx = new FlakyInflux();
    await influx.start();
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-outage-'));
    spool = openSpool({ file: join(dir, 'spool.sqlite'), maxBytes: 64 * 1024 * 1024 });
    ({ store, log: appends } = recordAppends(
      createInfluxEventStore({
        url: influx.url,
        token: 't',
        org: 'o',
        bucket: 'b',
        timeZone: 'Asia/Shanghai',
        timeoutMs: 1_000,
        maxRetries: 1,
        minRetryDelayMs: 50,
        maxRetryDelayMs: 2_000,
        logger,
      }),
    ));
  });
  afterAll(async () => {
    // The producer and the ingest's timers stop first, even when the test failed midway.
    isSending = false;
    await producer;
    ingest?.stop();
    await store?.close();
    spool?.close();
    await influx?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('every event is acked once durable (store or spool), written exactly once, in the order its machine sent it, and counted once', async () => {
    const acked = new Set<string>();
    const ackedByKiosk = new Map<string, string[]>();
    let ackedTwice = 0;
    ingest = new Ingest({
      topics,
      store,
      logger,
      spool,
      publishAck: (kioskId, ack: EventAck) => {
        ackedByKiosk.set(kioskId, [...(ackedByKiosk.get(kioskId) ?? []), ...ack.stored]);
        for (const id of ack.stored) {
          if (acked.has(id)) ackedTwice += 1;
          acked.add(id);
        }
      },
    });
    const sent: string[] = [];
    const sentByKiosk = new Map<string, string[]>();
    let seq = 0;
    isSending = true;
    let spoolPeak = 0;
    producer = (async () => {
      while (isSending) {
        for (let k = 0; k < KIOSKS; k++) {
          const id = `K${k}-${String(seq).padStart(6, '0')}`;
          sent.push(id);
          sentByKiosk.set(`K${k}`, [...(sentByKiosk.get(`K${k}`) ?? []), id]);
          const ts = new Date(Date.now() - 60_000 + seq).toISOString();
          ingest!.accept(`kiosks/K${k}/events`, Buffer.from(JSON.stringify({ id, ts, type: seq % 2 ? 'loan' : 'return' })));
        }
        seq += 1;
        spoolPeak = Math.max(spoolPeak, ingest!.stats().spoolDepth);
        await delay(10);
      }
    })();

    await delay(1_500);
    // Each failure lasts at least a second and until the adapter has met it twice.
    for (const mode of ['503', '429', 'hang', 'reset'] as const) {
      influx.mode = mode;
      await delay(1_000);
      await expect.poll(() => influx.failures[mode], { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    }
    influx.mode = 'ok';
    await delay(1_500);
    isSending = false;
    await producer;
    await ingest!.drain();
    await expect.poll(() => ingest!.stats().spoolDepth, { timeout: 30_000, interval: 200 }).toBe(0);

    const writtenIds = influx.eventIds;
    console.info('store outage:', {
      sent: sent.length,
      written: writtenIds.length,
      spoolPeak,
      spooled: ingest!.stats().spooled,
      failures: influx.failures,
      storeErrors: ingest!.stats().storeErrors,
    });
    expect(spoolPeak).toBeGreaterThan(0);
    expect(ingest!.stats().spooled).toBeGreaterThan(0);
    // Every event acked and written; none written twice.
    expect([...acked].sort()).toEqual([...sent].sort());
    expect(ackedTwice).toBe(0);
    expect(writtenIds).toHaveLength(sent.length);
    expect(new Set(writtenIds)).toEqual(new Set(sent));
    // Each machine's events reached the store in the order it sent them (the fake keeps the
    // lines in the order written), every one acked, none acked that was not stored.
    const inserted = new Map<string, string[]>();
    for (const id of writtenIds) {
      const kioskId = id.split('-')[0]!;
      inserted.set(kioskId, [...(inserted.get(kioskId) ?? []), id]);
    }
    const delivery = deliveryVerdict({ sent: sentByKiosk, inserted, acked: ackedByKiosk });
    expect(delivery).toMatchObject({ missing: [], unexpected: [], machinesOutOfOrder: [], unacked: [], ackedNotStored: [] });
    // The counters: each event counted stored once, and asked of the store once.
    const stats = ingest!.stats();
    expect(stats.eventsStored).toBe(sent.length);
    expect(stats.eventsStored).toBe(appends.insertedAll);
    expect(stats.duplicates).toBe(appends.duplicatesAll);
    expect(appends.askedMachineEvents).toBe(sent.length);
  }, 120_000);
});
