import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSqliteEventStore } from '../../../collector/store/sqlite-event-store.js';
import { SCHEMA_VERSION } from '../../../collector/store/sqlite-schema.js';
import type { EventRecord, EventStore } from '../../../collector/store/event-store.js';
import { describeEventStoreContract } from '../../contract/event-store-contract.js';

describeEventStoreContract('SQLite', async (timeZone) => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-store-contract-'));
  const store = createSqliteEventStore({ file: join(dir, 'events.db'), timeZone });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

function loan(id: string, ts: string, kioskId = 'CY-001'): EventRecord {
  return { id, kioskId, type: 'loan', ts, tsMs: Date.parse(ts), receivedMs: 0, data: { id, ts, type: 'loan' } };
}

/** The error a synchronous call throws, for matching its `code` and `cause`. */
function thrownBy(open: () => unknown): unknown {
  try {
    open();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('SQLite event store', () => {
  let dir: string;
  let file: string;
  const stores: EventStore[] = [];
  function open(timeZone = 'Asia/Shanghai'): EventStore {
    const store = createSqliteEventStore({ file, timeZone });
    stores.push(store);
    return store;
  }
  const MARCH = { granularity: 'month', fromDay: '2023-03-01', toDay: '2023-04-01' } as const;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-store-'));
    file = join(dir, 'data', 'nested', 'events.db');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('opening creates the file and its missing parent directories', async () => {
    const store = open();
    await store.append([loan('e-1', '2023-03-01T08:00:00Z')]);

    expect(existsSync(file)).toBe(true);
  });

  test('events, counts, telemetry and dead letters survive close and reopen', async () => {
    const first = open();
    const events = [loan('e-1', '2023-03-01T08:00:00Z'), loan('e-2', '2023-03-02T08:00:00Z', 'CY-002')];
    await first.append(events);
    await first.appendTelemetry([{ kioskId: 'CY-001', tsMs: 1, readings: { paperPercent: 50 } }]);
    await first.appendDeadLetters([{ receivedMs: 1, topic: 't', reason: 'schema', detail: 'd', payloadExcerpt: '{' }]);
    await first.close();

    const second = open();
    expect(await second.readEvents({})).toEqual(events);
    expect(await second.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 2 }]);
    expect(await second.readTelemetry({ kioskId: 'CY-001' })).toHaveLength(1);
    expect(await second.countDeadLetters()).toBe(1);
  });

  test('after reopening, appending the same ids again stores nothing and counts stay put', async () => {
    const events = [loan('e-1', '2023-03-01T08:00:00Z'), loan('e-2', '2023-03-02T08:00:00Z')];
    const first = open();
    await first.append(events);
    await first.close();

    const second = open();
    expect(await second.append([...events, loan('e-3', '2023-03-03T08:00:00Z')])).toEqual({
      inserted: ['e-3'],
      duplicates: ['e-1', 'e-2'],
      conflicts: [],
    });
    expect(await second.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 3 }]);
  });

  test('the file is in WAL mode at the current schema version', async () => {
    await open().close();

    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  test('counts come from the rollups, not from scanning the events', async () => {
    const store = open();
    await store.append([loan('e-1', '2023-03-01T08:00:00Z'), loan('e-2', '2023-03-02T08:00:00Z')]);
    await store.close();
    const db = new Database(file);
    db.exec('DELETE FROM events');
    db.close();

    const reopened = open();
    expect(await reopened.readEvents({})).toEqual([]);
    expect(await reopened.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 2 }]);
  });

  test('a file of schema version 1 gains the monthly rollup, backfilled from the daily one', async () => {
    const store = open();
    await store.append([
      loan('e-1', '2023-02-28T23:30:00+08:00'),
      loan('e-2', '2023-03-01T00:30:00+08:00'),
      loan('e-3', '2023-03-31T08:00:00Z', 'CY-002'),
    ]);
    await store.close();
    const db = new Database(file);
    // Back to what schema 1 held: no monthly rollup, and nothing of the later migrations.
    db.exec('DROP TABLE monthly_counts; DROP TABLE telemetry_hourly; DROP INDEX telemetry_by_time');
    db.pragma('user_version = 1');
    db.close();

    const reopened = open();
    expect(await reopened.countByPeriod({ ...MARCH, fromDay: '2023-02-01', byKiosk: true })).toEqual([
      { period: '2023-02', kioskId: 'CY-001', type: 'loan', count: 1 },
      { period: '2023-03', kioskId: 'CY-001', type: 'loan', count: 1 },
      { period: '2023-03', kioskId: 'CY-002', type: 'loan', count: 1 },
    ]);
  });

  test('close waits for every append asked before it (they run on the writer thread)', async () => {
    const store = open();
    const appends = Array.from({ length: 20 }, (_, b) =>
      store.append(Array.from({ length: 50 }, (_, i) => loan(`c-${b}-${i}`, '2023-03-01T08:00:00Z'))),
    );
    await store.close();

    expect((await Promise.all(appends)).every((r) => r.inserted.length === 50)).toBe(true);
    await expect(store.append([loan('late', '2023-03-01T08:00:00Z')])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    expect(await open().countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 1000 }]);
  });

  test('a batch that fails to write stores none of its events and keeps the SQLite error as cause', async () => {
    const store = open();
    await store.append([loan('e-1', '2023-03-01T08:00:00Z')]);
    const broken = { ...loan('e-3', '2023-03-03T08:00:00Z'), tsMs: 1.5 }; // not an integer: refused

    const failure = store.append([loan('e-2', '2023-03-02T08:00:00Z'), broken]);

    await expect(failure).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED', cause: expect.any(Database.SqliteError) });
    expect((await store.readEvents({})).map((e) => e.id)).toEqual(['e-1']);
    expect(await store.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 1 }]);
  });

  test('reopening a file with another time zone is refused, since its counts are per local day', async () => {
    await open('Asia/Shanghai').close();

    expect(thrownBy(() => open('UTC'))).toMatchObject({ code: 'STORE_TIME_ZONE_MISMATCH' });
    // Another name for the same zone is the same calendar.
    await open('Asia/Chongqing').close();
  });

  test('a file written by a newer schema version is refused', async () => {
    await createSqliteEventStore({ file, timeZone: 'UTC' }).close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    expect(thrownBy(() => open('UTC'))).toMatchObject({ code: 'STORE_OPEN_FAILED', message: expect.stringMatching(/newer/) });
  });

  test.each([
    ['an unknown time zone', () => createSqliteEventStore({ file: join(tmpdir(), 'never.db'), timeZone: 'Mars/Olympus' })],
    ['a directory in place of the file', () => createSqliteEventStore({ file: tmpdir(), timeZone: 'UTC' })],
  ])('%s fails to open with STORE_OPEN_FAILED and the cause', (_, openBadly) => {
    expect(thrownBy(openBadly)).toMatchObject({ code: 'STORE_OPEN_FAILED', cause: expect.any(Error) });
  });

  test('100,000 events appended in batches of 1000 are each counted once in their local month', async () => {
    const store = open('Asia/Shanghai');
    // Spread evenly over Q1 2023 in Shanghai (UTC+8, no daylight saving), one kiosk in 70 per event.
    const startMs = Date.parse('2023-01-01T00:00:00+08:00');
    const stepMs = (90 * 86_400_000) / 100_000;
    const expected = new Map<string, number>();
    for (let batch = 0; batch < 100; batch++) {
      const events = Array.from({ length: 1000 }, (_, i) => {
        const n = batch * 1000 + i;
        const tsMs = startMs + Math.floor(n * stepMs);
        const type = n % 3 === 0 ? 'return' : 'loan';
        const month = new Date(tsMs + 8 * 3_600_000).toISOString().slice(0, 7);
        expected.set(`${month} ${type}`, (expected.get(`${month} ${type}`) ?? 0) + 1);
        const ts = new Date(tsMs).toISOString();
        return { ...loan(`ev-${n}`, ts, `CY-${String(n % 70).padStart(3, '0')}`), type, data: { id: `ev-${n}`, ts, type } };
      });
      expect((await store.append(events)).inserted).toHaveLength(1000);
    }

    const rows = await store.countByPeriod({ granularity: 'month', fromDay: '2023-01-01', toDay: '2023-04-01' });
    expect(rows.map((r) => `${r.period} ${r.type} ${r.count}`)).toEqual(
      [...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, count]) => `${key} ${count}`),
    );
    expect(rows.reduce((sum, r) => sum + r.count, 0)).toBe(100_000);
    const byKiosk = await store.countByPeriod({
      granularity: 'month',
      byKiosk: true,
      kioskIds: ['CY-007'],
      fromDay: '2023-01-01',
      toDay: '2023-04-01',
    });
    expect(byKiosk.reduce((sum, r) => sum + r.count, 0)).toBe(1429); // n % 70 === 7 for n < 100,000
  });
});
