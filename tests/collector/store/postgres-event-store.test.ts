import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import type { DeadLetterRecord, EventRecord, EventStore } from '../../../collector/store/event-store.js';
import { openPostgresEventStore } from '../../../collector/store/postgres-event-store.js';
import { EVENT_STORE_COMPONENT, SCHEMA_VERSION } from '../../../collector/store/postgres-schema.js';
import { describeEventStoreContract } from '../../contract/event-store-contract.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../../support/postgres.js';

function loan(id: string, ts: string, kioskId = 'CY-001'): EventRecord {
  return { id, kioskId, type: 'loan', ts, tsMs: Date.parse(ts), receivedMs: 0, data: { id, ts, type: 'loan' } };
}

const MARCH = { granularity: 'month', fromDay: '2023-03-01', toDay: '2023-04-01' } as const;

describe.skipIf(skipWithoutPostgres)('PostgreSQL event store', () => {
  const postgres = usePostgres();

  // The whole port's behaviour, each test on a database of its own.
  describeEventStoreContract('PostgreSQL', async (timeZone) => {
    const database = await postgres.createDatabase();
    const store = await openPostgresEventStore({ url: database.url, timeZone });
    return {
      store,
      async cleanup() {
        await store.close();
        await database.drop();
      },
    };
  });

  describe('on a database of its own', () => {
    let database: TestDatabase;
    const stores: EventStore[] = [];
    async function open(timeZone = 'Asia/Shanghai', url = database.url): Promise<EventStore> {
      const store = await openPostgresEventStore({ url, timeZone });
      stores.push(store);
      return store;
    }
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await database?.drop();
    });
    const fresh = async () => {
      database = await postgres.createDatabase();
    };

    test('two stores opening at once on an empty database migrate it once, and both work', async () => {
      await fresh();

      const [first, second] = await Promise.all([open(), open()]);

      const versions = await postgres.psql(
        `SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations WHERE component = '${EVENT_STORE_COMPONENT}'`,
        database.name,
      );
      expect(versions).toBe(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1).join(','));
      await first.append([loan('e-1', '2023-03-01T08:00:00Z')]);
      expect(await second.readEvents({})).toHaveLength(1);
    });

    test('events, counts, telemetry and dead letters survive close and reopen', async () => {
      await fresh();
      const first = await open();
      const events = [loan('e-1', '2023-03-01T08:00:00Z'), loan('e-2', '2023-03-02T08:00:00Z', 'CY-002')];
      await first.append(events);
      await first.appendTelemetry([{ kioskId: 'CY-001', tsMs: 1, readings: { paperPercent: 50 } }]);
      await first.appendDeadLetters([{ receivedMs: 1, topic: 't', reason: 'schema', detail: 'd', payloadExcerpt: '{' }]);
      await first.close();

      const second = await open();
      expect(await second.readEvents({})).toEqual(events);
      expect(await second.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 2 }]);
      expect(await second.readTelemetry({ kioskId: 'CY-001' })).toHaveLength(1);
      expect(await second.countDeadLetters()).toBe(1);
    });

    test('two nodes appending overlapping batches at once store and count every event exactly once', async () => {
      await fresh();
      const [nodeA, nodeB] = await Promise.all([open(), open()]);
      const events = Array.from({ length: 400 }, (_, i) =>
        loan(`e-${String(i).padStart(3, '0')}`, `2023-03-${String(1 + (i % 28)).padStart(2, '0')}T08:00:00Z`, `CY-00${i % 5}`),
      );
      // The same events from both nodes, in opposite orders and batch boundaries: as redelivered
      // events reach two nodes after a machine reconnects.
      const batches = (list: EventRecord[], size: number) =>
        Array.from({ length: Math.ceil(list.length / size) }, (_, b) => list.slice(b * size, (b + 1) * size));
      const results = await Promise.all([
        nodeA.append(events),
        nodeB.append([...events].reverse()),
        ...batches(events, 50).map((batch) => nodeA.append(batch)),
        ...batches([...events].reverse(), 30).map((batch) => nodeB.append(batch)),
      ]);

      const inserted = results.flatMap((r) => r.inserted);
      expect([...inserted].sort()).toEqual(events.map((e) => e.id));
      expect(results.flatMap((r) => r.duplicates)).toHaveLength(3 * events.length);
      expect(await nodeB.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 400 }]);
      const byKiosk = await nodeA.countByPeriod({ ...MARCH, byKiosk: true });
      expect(byKiosk.map((r) => r.count)).toEqual([80, 80, 80, 80, 80]);
    });

    test('two nodes appending the same events in opposite orders, both held up by a third writer, do not deadlock', async () => {
      await fresh();
      const [nodeA, nodeB] = await Promise.all([open(), open()]);
      const events = Array.from({ length: 100 }, (_, i) => loan(`e-${String(i).padStart(3, '0')}`, '2023-03-01T08:00:00Z'));
      // Another writer holds e-050 uncommitted, so each node stops there with the rows before it locked.
      const blocker = new pg.Client({ connectionString: database.url });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(
          `INSERT INTO events (id, kiosk_id, type, ts, ts_ms, received_ms, data) VALUES ('e-050', 'CY-001', 'loan', '', 0, 0, '{}')`,
        );
        const appends = [nodeA.append(events), nodeB.append([...events].reverse())];
        const waiting = async () =>
          (
            await blocker.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0]!.n;
        await expect.poll(waiting).toBe(2);
        await blocker.query('ROLLBACK');

        const results = await Promise.all(appends);
        expect(results.flatMap((r) => r.inserted).sort()).toEqual(events.map((e) => e.id));
      } finally {
        await blocker.end();
      }
      expect(await nodeA.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 100 }]);
    });

    test('two nodes appending different events under one id at once: one is stored, the other is told of the conflict', async () => {
      await fresh();
      const [nodeA, nodeB] = await Promise.all([open(), open()]);
      const fromA = loan('e-1', '2023-03-01T08:00:00Z', 'CY-001');
      const fromB = loan('e-1', '2023-03-01T08:00:00Z', 'CY-002');

      const [a, b] = await Promise.all([nodeA.append([fromA]), nodeB.append([fromB])]);

      const [winner, loser, winnerResult, loserResult] = a.inserted.length === 1 ? [fromA, fromB, a, b] : [fromB, fromA, b, a];
      expect(winnerResult).toEqual({ inserted: ['e-1'], duplicates: [], conflicts: [] });
      expect(loserResult).toEqual({ inserted: [], duplicates: [], conflicts: [{ id: 'e-1', stored: winner, refused: loser }] });
      expect(await nodeA.readEvents({})).toEqual([winner]);
    });

    test('ids at one instant are ordered by their characters, whatever the collation of the database', async () => {
      database = await postgres.createDatabase({ icuLocale: 'en-US' });
      const store = await open();
      // A natural-language collation puts `a` before `Z` and ignores case at first; the cursor
      // compares ids as JavaScript and SQLite do, by code unit.
      const ids = ['a-1', 'Z-1', 'b-1', 'B-1', '_-1', '9-1'];
      await store.append(ids.map((id) => loan(id, '2023-03-01T08:00:00Z')));

      const sorted = [...ids].sort();
      expect((await store.readEvents({})).map((e) => e.id)).toEqual(sorted);
      expect(
        (await store.readEvents({ after: { tsMs: Date.parse('2023-03-01T08:00:00Z'), id: 'Z-1' } })).map((e) => e.id),
      ).toEqual(sorted.slice(sorted.indexOf('Z-1') + 1));
    });

    test('a dead letter whose excerpt holds NUL bytes is stored, each NUL as U+FFFD', async () => {
      await fresh();
      const store = await open();
      await store.appendDeadLetters([
        { receivedMs: 1, topic: 'kiosks/CY-001/events', reason: 'invalid_json', detail: 'd', payloadExcerpt: 'ab\u0000cd' },
      ]);

      expect((await store.readDeadLetters())[0]!.payloadExcerpt).toBe('ab\uFFFDcd');
    });

    test('only the newest dead letters are kept: a flood of refusals cannot fill the database', async () => {
      await fresh();
      const store = await openPostgresEventStore({ url: database.url, timeZone: 'UTC', maxDeadLetters: 3 });
      stores.push(store);
      const letter = (n: number): DeadLetterRecord => ({
        receivedMs: n,
        topic: 't',
        reason: 'invalid_json',
        detail: `refused ${n}`,
        payloadExcerpt: '',
      });
      await store.appendDeadLetters([1, 2].map(letter));
      await store.appendDeadLetters([3, 4, 5].map(letter));
      await store.appendDeadLetters([6].map(letter));

      expect((await store.readDeadLetters()).map((d) => d.detail)).toEqual(['refused 6', 'refused 5', 'refused 4']);
      expect(await store.countDeadLetters()).toBe(3);
    });

    test('reopening with another time zone is refused, since the counts are per local day', async () => {
      await fresh();
      await (await open('Asia/Shanghai')).close();

      await expect(open('UTC')).rejects.toMatchObject({ code: 'STORE_TIME_ZONE_MISMATCH' });
      // Another name for the same zone is the same calendar.
      await open('Asia/Chongqing');
    });

    test('a database migrated by a newer version of the code is refused', async () => {
      await fresh();
      await (await open()).close();
      await postgres.psql(
        `INSERT INTO schema_migrations (component, version) VALUES ('${EVENT_STORE_COMPONENT}', ${SCHEMA_VERSION + 1})`,
        database.name,
      );

      await expect(open()).rejects.toMatchObject({ code: 'STORE_OPEN_FAILED', message: expect.stringMatching(/newer/) });
    });

    test('a server that cannot be reached fails the open with STORE_OPEN_FAILED and the cause', async () => {
      await fresh();
      const nobody = `postgres://postgres@127.0.0.1:${postgres.port}/no_such_database`;

      await expect(open('UTC', nobody)).rejects.toMatchObject({ code: 'STORE_OPEN_FAILED', cause: expect.any(Error) });
      await expect(open('Mars/Olympus')).rejects.toMatchObject({ code: 'STORE_OPEN_FAILED' });
    });

    test('when the database goes away, appends fail with STORE_WRITE_FAILED (the collector spools them)', async () => {
      await fresh();
      const store = await open();
      await store.append([loan('e-1', '2023-03-01T08:00:00Z')]);
      await database.drop();

      await expect(store.append([loan('e-2', '2023-03-02T08:00:00Z')])).rejects.toMatchObject({
        code: 'STORE_WRITE_FAILED',
        cause: expect.any(Error),
      });
      await expect(store.readEvents({})).rejects.toMatchObject({ code: 'STORE_READ_FAILED' });
    });

    test('while the server is down appends fail with STORE_WRITE_FAILED, and once it is back the same store appends again', async () => {
      await fresh();
      const store = await open();
      await store.append([loan('e-1', '2023-03-01T08:00:00Z')]);

      await postgres.stopServer();
      try {
        await expect(store.append([loan('e-2', '2023-03-02T08:00:00Z')])).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
      } finally {
        await postgres.startServer();
      }

      // The pool replaces the connections the restart closed: no reopening, as the collector's spool replay expects.
      expect(await store.append([loan('e-2', '2023-03-02T08:00:00Z')])).toEqual({
        inserted: ['e-2'],
        duplicates: [],
        conflicts: [],
      });
      expect(await store.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 2 }]);
    });

    test('a batch that fails to write stores none of its events nor their counts', async () => {
      await fresh();
      const store = await open();
      await store.append([loan('e-1', '2023-03-01T08:00:00Z')]);
      const broken = { ...loan('e-3', '2023-03-03T08:00:00Z'), tsMs: 1.5 }; // not an integer: refused

      await expect(store.append([loan('e-2', '2023-03-02T08:00:00Z'), broken])).rejects.toMatchObject({
        code: 'STORE_WRITE_FAILED',
        cause: expect.any(pg.DatabaseError),
      });
      expect((await store.readEvents({})).map((e) => e.id)).toEqual(['e-1']);
      expect(await store.countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 1 }]);
    });

    test('close waits for every append asked before it', async () => {
      await fresh();
      const store = await open();
      const appends = Array.from({ length: 20 }, (_, b) =>
        store.append(Array.from({ length: 50 }, (_, i) => loan(`c-${b}-${i}`, '2023-03-01T08:00:00Z'))),
      );
      await store.close();

      expect((await Promise.all(appends)).every((r) => r.inserted.length === 50)).toBe(true);
      await expect(store.append([loan('late', '2023-03-01T08:00:00Z')])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      expect(await (await open()).countByPeriod(MARCH)).toEqual([{ period: '2023-03', type: 'loan', count: 1000 }]);
    });
  });
});
