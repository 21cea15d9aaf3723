import { afterEach, describe, expect, test } from 'vitest';
import { appendNotices, parseAppendNotice } from '../../../collector/store/postgres-append-feed.js';
import type { EventRecord } from '../../../collector/store/event-store.js';
import { openPostgresEventStore, type PostgresEventStore } from '../../../collector/store/postgres-event-store.js';
import { skipWithoutPostgres, usePostgres } from '../../support/postgres.js';

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
    const notices = appendNotices('node-a', ids);
    expect(notices).toHaveLength(payloads);
    for (const payload of notices) expect(Buffer.byteLength(payload)).toBeLessThan(8_000);
    expect(notices.flatMap((p) => parseAppendNotice(p)?.ids ?? [])).toEqual(ids);
  });

  test.each([['not json'], ['{"source":"a","ids":[]}'], ['{"ids":["x"]}']])('%s is not a notice', (payload) => {
    expect(parseAppendNotice(payload)).toBeNull();
  });
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
});
