import { afterEach, describe, expect, test } from 'vitest';
import { appendNotices, parseAppendNotice } from '../../../collector/store/postgres-append-feed.js';
import type { EventRecord } from '../../../collector/store/event-store.js';
import { storedEvents } from '../../../collector/store/postgres-writes.js';
import { openPostgresEventStore, type PostgresEventStore } from '../../../collector/store/postgres-event-store.js';
import { skipWithoutPostgres, usePostgres } from '../../support/postgres.js';
import { appendsSince, currentSnapshot } from '../../../collector/store/postgres-appends-since.js';
import { followAppends } from '../../../collector/store/postgres-append-feed.js';
import { createPostgresPool } from '../../../config/postgres-pool.js';
import type pg from 'pg';

const TIME_ZONE = 'Asia/Shanghai';

function loan(id: string, kioskId = 'K-1'): EventRecord {
  const tsMs = Date.parse('2026-11-20T02:00:00Z');
  return { id, kioskId, type: 'loan', ts: new Date(tsMs).toISOString(), tsMs, receivedMs: tsMs, data: { itemId: `B-${id}` } };
}

describe('append notices', () => {
  test.each([
    ['no id', 0, 0],
    ['one id', 1, 1],
    ['ids that fit one payload', 100, 1],
    ['more ids than one payload holds', 2_000, 9],
  ])('%s: every id announced once, each payload under 8,000 bytes', (_name, count, payloads) => {
    const ids = Array.from({ length: count }, (_, i) => `SIM-0001-0123456789ab-${i}`);
    const notices = appendNotices('node-a', '18446744073709551615', ids);
    expect(notices).toHaveLength(payloads);
    for (const payload of notices) expect(Buffer.byteLength(payload)).toBeLessThan(8_000);
    expect(notices.flatMap((p) => parseAppendNotice(p)?.ids ?? [])).toEqual(ids);
    for (const payload of notices) expect(parseAppendNotice(payload)?.xid).toBe('18446744073709551615');
  });

  test('a notice without a transaction id (a node of an older version) is still one', () => {
    expect(parseAppendNotice('{"source":"a","ids":["x"]}')).toEqual({ source: 'a', ids: ['x'] });
  });

  test.each([['not json'], ['{"source":"a","ids":[]}'], ['{"ids":["x"]}'], ['{"source":"a","xid":"-1","ids":["x"]}']])(
    '%s is not a notice',
    (payload) => {
      expect(parseAppendNotice(payload)).toBeNull();
    },
  );
});

describe.skipIf(skipWithoutPostgres)('two PostgreSQL stores on one database (two nodes)', () => {
  const postgres = usePostgres();
  const opened: PostgresEventStore[] = [];
  const feeds: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const feed of feeds.splice(0)) await feed.close();
    for (const store of opened.splice(0)) await store.close();
  });

  test('each hands on what the other appended, once, in commit order, and not its own or a redelivery', async () => {
    const { url } = await postgres.createDatabase();
    const a = await openPostgresEventStore({ url, timeZone: TIME_ZONE });
    const b = await openPostgresEventStore({ url, timeZone: TIME_ZONE });
    opened.push(a, b);
    const seenByB: string[] = [];
    feeds.push(await b.followOtherNodes((records) => seenByB.push(...records.map((r) => r.id))));

    await a.append([loan('e1'), loan('e2')]);
    await b.append([loan('e3')]);
    // A redelivery of e1 to node B inserts nothing: nothing new to announce.
    await b.append([loan('e1')]);
    await a.append([loan('e4'), loan('e2')]);
    await expect.poll(() => seenByB).toEqual(['e1', 'e2', 'e4']);
  });

  test('the records handed on are the stored ones, whole', async () => {
    const { url } = await postgres.createDatabase();
    const a = await openPostgresEventStore({ url, timeZone: TIME_ZONE });
    const b = await openPostgresEventStore({ url, timeZone: TIME_ZONE });
    opened.push(a, b);
    const seen: EventRecord[] = [];
    feeds.push(await b.followOtherNodes((records) => seen.push(...records)));
    await a.append([loan('x1', 'K-7')]);
    await expect.poll(() => seen).toEqual([loan('x1', 'K-7')]);
  });

  test("after its connection was cut, a node hands on the other node's appends made meanwhile, once, in order, not its own", async () => {
    const { name, url } = await postgres.createDatabase();
    const a = await openPostgresEventStore({ url, timeZone: TIME_ZONE });
    const b = await openPostgresEventStore({ url, timeZone: TIME_ZONE });
    opened.push(a, b);
    const seenByB: string[] = [];
    feeds.push(await b.followOtherNodes((records) => seenByB.push(...records.map((r) => r.id))));
    await a.append([loan('e1')]);
    await expect.poll(() => seenByB).toEqual(['e1']);

    // The stores' pools keep the connections they have; B's feed can neither keep nor remake its own.
    await postgres.psql(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    try {
      const cut = await postgres.psql(
        `SELECT count(*) FROM pg_stat_activity, pg_terminate_backend(pid, 10000) AS ended
         WHERE datname = '${name}' AND application_name = 'kiosk-fleet append feed' AND ended`,
      );
      expect(cut).toBe('1');
      await a.append([loan('e2'), loan('e3', 'K-2')]);
      await b.append([loan('b1')]);
      await a.append([loan('e4')]);
    } finally {
      await postgres.psql(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    }
    await expect.poll(() => seenByB, { timeout: 15_000 }).toEqual(['e1', 'e2', 'e3', 'e4']);
    await a.append([loan('e5')]);
    await expect.poll(() => seenByB).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
  });

  test('an append both announced and read by a catch-up is handed on once', async () => {
    const { url } = await postgres.createDatabase();
    const a = await openPostgresEventStore({ url, timeZone: TIME_ZONE });
    opened.push(a);
    const pool: pg.Pool = createPostgresPool({ url, applicationName: 'test follower' });
    try {
      const seen: string[] = [];
      let catchUps = 0;
      const feed = await followAppends({
        url,
        source: 'test follower',
        snapshot: () => currentSnapshot(pool),
        read: (ids) => storedEvents(pool, ids),
        readSince: async (since) => {
          // The first catch-up runs right after LISTEN: this append commits after LISTEN (its
          // notice comes) and before the catch-up's snapshot (which reads it too).
          if ((catchUps += 1) === 1) await a.append([loan('r1'), loan('r2')]);
          return appendsSince(pool, since, 'test follower');
        },
        onAppended: (records) => seen.push(...records.map((r) => r.id)),
      });
      feeds.push(feed);
      await a.append([loan('r3')]);
      await expect.poll(() => seen).toEqual(['r1', 'r2', 'r3']);
      await feed.close();
      expect(seen).toEqual(['r1', 'r2', 'r3']);
    } finally {
      await pool.end();
    }
  });
});
