// This file is long because it is the whole EventStore contract, which every adapter must pass.
import { afterEach, describe, expect, test } from 'vitest';
import { createCalendar } from '../../time/calendar.js';
import type {
  CountQuery,
  CountRow,
  DeadLetterRecord,
  EventQuery,
  EventRecord,
  EventStore,
} from '../../collector/store/event-store.js';
import { eventRecord as event, ms, RECEIVED_MS } from '../support/event-records.js';

/** Opens an empty store counting days in `timeZone`; `cleanup` closes it and removes what it left. */
export type OpenEventStore = (timeZone: string) => Promise<{ store: EventStore; cleanup(): Promise<void> }>;

/** Time order with ties by id, compared as code units (ids are ASCII). */
function compareByTimeThenId(a: EventRecord, b: EventRecord): number {
  return a.tsMs - b.tsMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const ids = (events: readonly EventRecord[]): string[] => events.map((e) => e.id);

/** Every event matching `query`, page by page through the `after` cursor. */
async function readAllPages(store: EventStore, query: EventQuery, pageSize: number): Promise<EventRecord[]> {
  const all: EventRecord[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await store.readEvents({
      ...query,
      limit: pageSize,
      ...(last ? { after: { tsMs: last.tsMs, id: last.id } } : {}),
    });
    expect(page.length).toBeLessThanOrEqual(pageSize);
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** A small history: three events share one instant (one of them sent with a +08:00 offset). */
const HISTORY = [
  event('a-5', '2023-03-01T10:00:00Z', { kioskId: 'CY-002', type: 'return' }),
  event('c-3', '2023-03-01T17:00:00+08:00', { type: 'fault' }),
  event('z-6', '2023-03-02T00:00:00Z', { type: 'inspection' }),
  event('b-1', '2023-03-01T08:00:00Z'),
  event('b-4', '2023-03-01T09:00:00.000Z', { kioskId: 'CY-003', type: 'return' }),
  event('a-2', '2023-03-01T09:00:00Z', { kioskId: 'CY-002' }),
];

/** Events around local midnights: Shanghai and UTC put them on different days and months. */
const MIDNIGHTS = [
  event('m1', '2023-01-31T15:59:59Z'), // Shanghai 01-31 23:59:59
  event('m2', '2023-01-31T16:30:00Z'), // Shanghai 02-01 00:30
  event('m3', '2023-02-01T00:10:00+08:00', { kioskId: 'CY-002', type: 'return' }), // 01-31T16:10Z
  event('m4', '2023-02-28T16:00:00Z', { kioskId: 'CY-002' }), // Shanghai 03-01 00:00
  event('m5', '2023-03-01T00:00:00Z', { type: 'return' }), // Shanghai 03-01 08:00
];

const FIRST_QUARTER = { fromDay: '2023-01-01', toDay: '2023-04-01' } as const;

/** A reproducible pseudo-random history (a linear congruential generator, no Math.random). */
function generateHistory(count: number, seed: number): EventRecord[] {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % n;
  };
  const types = ['loan', 'return', 'fault', 'inspection'];
  const start = ms('2023-01-30T00:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    // 160 instants six hours apart for all events, so many share an instant and ties fall to ids.
    const ts = new Date(start + next(160) * 6 * 3_600_000).toISOString();
    const kioskId = `CY-${String(1 + next(4)).padStart(3, '0')}`;
    return event(`g-${String(next(100_000)).padStart(5, '0')}-${i}`, ts, { kioskId, type: types[next(4)]! });
  });
}

/** Counts recomputed from events, the slow way, to check the store's pushed-down counts. */
function countEvents(events: readonly EventRecord[], timeZone: string, query: CountQuery): CountRow[] {
  const calendar = createCalendar(timeZone);
  const counts = new Map<string, CountRow>();
  for (const e of events) {
    const day = calendar.dayOf(e.tsMs);
    if (day < query.fromDay || day >= query.toDay) continue;
    const period = query.granularity === 'day' ? day : day.slice(0, 7);
    const key = JSON.stringify([period, query.byKiosk ? e.kioskId : '', e.type]);
    const row = counts.get(key) ?? { period, type: e.type, count: 0, ...(query.byKiosk ? { kioskId: e.kioskId } : {}) };
    row.count += 1;
    counts.set(key, row);
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row);
}

async function expectStoreError(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

/**
 * Behaviour every EventStore adapter must show. Each test opens its own empty store; nothing here
 * looks inside an adapter.
 */
export function describeEventStoreContract(name: string, openStore: OpenEventStore): void {
  describe(`EventStore contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    async function open(timeZone = 'Asia/Shanghai'): Promise<EventStore> {
      const { store, cleanup } = await openStore(timeZone);
      cleanups.push(cleanup);
      return store;
    }

    describe('append', () => {
      test('an event appended twice is stored once and the second append reports it as a duplicate', async () => {
        const store = await open();
        const loan = event('e-1', '2023-03-01T08:00:00Z');

        expect(await store.append([loan])).toEqual({ inserted: ['e-1'], duplicates: [], conflicts: [] });
        expect(await store.append([loan])).toEqual({ inserted: [], duplicates: ['e-1'], conflicts: [] });
        expect(await store.readEvents({})).toEqual([loan]);
      });

      test('within one batch the first event with an id wins: an identical repeat is a duplicate, another one a conflict', async () => {
        const store = await open();
        const first = event('e-1', '2023-03-01T08:00:00Z', { extra: { itemId: 'first' } });
        const other = event('e-2', '2023-03-01T09:00:00Z');
        const repeat = event('e-1', '2023-03-05T08:00:00Z', { type: 'return', extra: { itemId: 'second' } });

        expect(await store.append([first, other, { ...first }, repeat])).toEqual({
          inserted: ['e-1', 'e-2'],
          duplicates: ['e-1'],
          conflicts: [{ id: 'e-1', stored: first, refused: repeat }],
        });
        expect(await store.readEvents({})).toEqual([first, other]);
        expect(await store.countByPeriod({ granularity: 'day', ...FIRST_QUARTER })).toEqual([
          { period: '2023-03-01', type: 'loan', count: 2 },
        ]);
      });

      test('each record of a batch is reported once, as inserted, duplicate or conflict, in the order given', async () => {
        const store = await open();
        await store.append([event('old', '2023-03-02T08:00:00Z')]);
        const batch = ['x', 'old', 'z', 'x', 'old'].map((id) => event(id, '2023-03-02T08:00:00Z'));

        expect(await store.append(batch)).toEqual({ inserted: ['x', 'z'], duplicates: ['old', 'x', 'old'], conflicts: [] });
      });

      describe('an id stored already', () => {
        const loan = event('e-1', '2023-03-01T08:00:00+08:00', { extra: { itemId: 'B-1' } });

        test.each<[string, EventRecord]>([
          ['another body', { ...loan, data: { ...loan.data, itemId: 'B-2' } }],
          [
            'another type (a genuine return under a reused id)',
            event('e-1', loan.ts, { type: 'return', extra: { itemId: 'B-1' } }),
          ],
          ['another time', event('e-1', '2023-03-01T09:00:00+08:00', { extra: { itemId: 'B-1' } })],
          ['another machine', event('e-1', loan.ts, { kioskId: 'CY-002', extra: { itemId: 'B-1' } })],
          ['a field more', { ...loan, data: { ...loan.data, note: 'x' } }],
        ])('with %s is a conflict: not stored, both versions reported, counts unchanged', async (_what, refused) => {
          const store = await open();
          await store.append([loan]);
          const before = await store.countByPeriod({ granularity: 'day', byKiosk: true, ...FIRST_QUARTER });

          expect(await store.append([refused])).toEqual({
            inserted: [],
            duplicates: [],
            conflicts: [{ id: 'e-1', stored: loan, refused }],
          });
          expect(await store.readEvents({})).toEqual([loan]);
          expect(await store.countByPeriod({ granularity: 'day', byKiosk: true, ...FIRST_QUARTER })).toEqual(before);
        });

        test('the same event with its keys in another order, its time in another offset, received later, is a duplicate', async () => {
          const store = await open();
          await store.append([loan]);
          const sameInstant = '2023-03-01T00:00:00.000Z';
          const again: EventRecord = {
            ...loan,
            ts: sameInstant,
            receivedMs: loan.receivedMs + 60_000,
            data: { itemId: 'B-1', type: 'loan', ts: sameInstant, id: 'e-1' },
          };

          expect(await store.append([again])).toEqual({ inserted: [], duplicates: ['e-1'], conflicts: [] });
          expect(await store.readEvents({})).toEqual([loan]);
        });
      });

      test('redelivered events leave the counts unchanged', async () => {
        const store = await open();
        await store.append(MIDNIGHTS);
        const before = await store.countByPeriod({ granularity: 'day', byKiosk: true, ...FIRST_QUARTER });

        expect(await store.append([...MIDNIGHTS].reverse())).toEqual({
          inserted: [],
          duplicates: ids(MIDNIGHTS).reverse(),
          conflicts: [],
        });
        expect(await store.countByPeriod({ granularity: 'day', byKiosk: true, ...FIRST_QUARTER })).toEqual(before);
        expect(await store.readEvents({})).toHaveLength(MIDNIGHTS.length);
      });

      test('an empty batch stores nothing and reports nothing', async () => {
        const store = await open();

        expect(await store.append([])).toEqual({ inserted: [], duplicates: [], conflicts: [] });
        expect(await store.readEvents({})).toEqual([]);
      });

      test('a stored event round-trips exactly, the whole event object included', async () => {
        const store = await open();
        const fault = event('CY-007-boot3-000042', '2023-03-01T17:05:09.123+08:00', {
          kioskId: 'CY-007',
          type: 'fault',
          extra: {
            faultId: 'f-1',
            component: 'rfid_reader',
            code: 'RFID_TIMEOUT',
            severity: 'critical',
            blocksLending: true,
            message: '读卡器无响应 — "retry" \\ 🚫',
          },
        });
        const inspection = event('insp:2023-03-02', '2023-03-02T09:00:00Z', {
          type: 'inspection',
          extra: { inspector: 'wang', result: 'issues_found', checklist: { door: 'ok', screen: 'issue' }, notes: '' },
        });

        await store.append([fault, inspection]);

        const stored = await store.readEvents({});
        expect(stored).toEqual([fault, inspection]);
        expect(stored[0]!.ts).toBe('2023-03-01T17:05:09.123+08:00');
        expect(Object.keys(stored[1]!.data)).toEqual(Object.keys(inspection.data));
      });
    });

    describe('readEvents', () => {
      async function openWithHistory(): Promise<EventStore> {
        const store = await open();
        await store.append(HISTORY.slice(0, 3));
        await store.append(HISTORY.slice(3));
        return store;
      }

      test('events come back oldest first, events at the same instant ordered by id', async () => {
        const store = await openWithHistory();

        expect(ids(await store.readEvents({}))).toEqual(['b-1', 'a-2', 'b-4', 'c-3', 'a-5', 'z-6']);
      });

      test('in descending order events come back newest first, ties by id descending', async () => {
        const store = await openWithHistory();

        expect(ids(await store.readEvents({ order: 'desc' }))).toEqual(['z-6', 'a-5', 'c-3', 'b-4', 'a-2', 'b-1']);
      });

      const nine = ms('2023-03-01T09:00:00Z');
      const ten = ms('2023-03-01T10:00:00Z');
      test.each<[string, EventQuery, string[]]>([
        ['one kiosk', { kioskId: 'CY-001' }, ['b-1', 'c-3', 'z-6']],
        ['one type', { types: ['return'] }, ['b-4', 'a-5']],
        ['several types', { types: ['fault', 'inspection'] }, ['c-3', 'z-6']],
        ['a kiosk and a type', { kioskId: 'CY-002', types: ['return'] }, ['a-5']],
        ['a type nobody sent', { types: ['reservation_delivered'] }, []],
        ['an empty list of types', { types: [] }, []],
        ['from (inclusive)', { fromMs: nine }, ['a-2', 'b-4', 'c-3', 'a-5', 'z-6']],
        ['to (exclusive)', { toMs: ten }, ['b-1', 'a-2', 'b-4', 'c-3']],
        ['a window', { fromMs: nine, toMs: ten }, ['a-2', 'b-4', 'c-3']],
        ['a window, newest first', { fromMs: nine, toMs: ten, order: 'desc' }, ['c-3', 'b-4', 'a-2']],
        ['an empty window', { fromMs: ten, toMs: ten }, []],
        ['a limit', { limit: 2 }, ['b-1', 'a-2']],
        ['a limit, newest first', { limit: 2, order: 'desc' }, ['z-6', 'a-5']],
        ['a cursor inside a tie', { after: { tsMs: nine, id: 'a-2' } }, ['b-4', 'c-3', 'a-5', 'z-6']],
        ['a cursor inside a tie, newest first', { order: 'desc', after: { tsMs: nine, id: 'b-4' } }, ['a-2', 'b-1']],
        ['a cursor and a window', { fromMs: nine, toMs: ten, after: { tsMs: nine, id: 'b-4' } }, ['c-3']],
        ['a cursor and a kiosk', { kioskId: 'CY-001', after: { tsMs: ms('2023-03-01T08:00:00Z'), id: 'b-1' } }, ['c-3', 'z-6']],
      ])('filtered by %s, events come back in order', async (_, query, expected) => {
        const store = await openWithHistory();

        expect(ids(await store.readEvents(query))).toEqual(expected);
      });

      test('without a limit 1000 events come back, and never more than 10000', async () => {
        const store = await open();
        const start = ms('2023-03-01T00:00:00Z');
        const many = Array.from({ length: 10_001 }, (_, i) =>
          event(`n-${String(i).padStart(5, '0')}`, new Date(start + i * 1000).toISOString()),
        );
        await store.append(many);

        expect(ids(await store.readEvents({}))).toEqual(ids(many.slice(0, 1000)));
        expect(ids(await store.readEvents({ limit: 50_000 }))).toEqual(ids(many.slice(0, 10_000)));
      });

      test.each([0, -1, 1.5, Number.NaN])('a limit of %s is rejected as an invalid query', async (limit) => {
        const store = await open();

        await expectStoreError(store.readEvents({ limit }), 'STORE_INVALID_QUERY');
      });

      const generated = generateHistory(300, 7);
      test.each<[string, EventQuery, number]>([
        ['oldest first, one at a time', {}, 1],
        ['oldest first, pages of 7', {}, 7],
        ['newest first, pages of 7', { order: 'desc' }, 7],
        ['newest first, pages of 1000', { order: 'desc' }, 1000],
        ['one kiosk, pages of 5', { kioskId: 'CY-002' }, 5],
        [
          'two types in a window, newest first',
          {
            types: ['fault', 'inspection'],
            fromMs: ms('2023-02-05T00:00:00Z'),
            toMs: ms('2023-02-25T00:00:00Z'),
            order: 'desc',
          },
          6,
        ],
      ])('keyset pagination (%s) visits every matching event exactly once', async (_, query, pageSize) => {
        const store = await open();
        await store.append(generated.slice(0, 150));
        await store.append(generated.slice(150));
        const expected = generated
          .filter((e) => query.kioskId === undefined || e.kioskId === query.kioskId)
          .filter((e) => query.types === undefined || query.types.includes(e.type))
          .filter((e) => (query.fromMs ?? -Infinity) <= e.tsMs && e.tsMs < (query.toMs ?? Infinity))
          .sort(compareByTimeThenId);
        if (query.order === 'desc') expected.reverse();

        expect(ids(await readAllPages(store, query, pageSize))).toEqual(ids(expected));
      });
    });

    describe('countByPeriod', () => {
      test.each([
        { ts: '2023-01-31T16:30:00Z', timeZone: 'Asia/Shanghai', day: '2023-02-01' },
        { ts: '2023-01-31T16:30:00Z', timeZone: 'UTC', day: '2023-01-31' },
        { ts: '2023-01-31T15:59:59.999Z', timeZone: 'Asia/Shanghai', day: '2023-01-31' },
        { ts: '2023-02-01T00:00:00+08:00', timeZone: 'Asia/Shanghai', day: '2023-02-01' },
        { ts: '2023-02-01T00:00:00+08:00', timeZone: 'UTC', day: '2023-01-31' },
        { ts: '2023-12-31T16:00:00Z', timeZone: 'Asia/Shanghai', day: '2024-01-01' },
      ])('an event at $ts counts on $day in $timeZone, and in that month', async ({ ts, timeZone, day }) => {
        const store = await open(timeZone);
        await store.append([event('e-1', ts)]);
        const range = { fromDay: '2023-01-01', toDay: '2024-02-01' };

        expect(await store.countByPeriod({ granularity: 'day', ...range })).toEqual([{ period: day, type: 'loan', count: 1 }]);
        expect(await store.countByPeriod({ granularity: 'month', ...range })).toEqual([
          { period: day.slice(0, 7), type: 'loan', count: 1 },
        ]);
      });

      test.each<[string, CountQuery['granularity'], Array<[string, string, number]>]>([
        [
          'Asia/Shanghai',
          'day',
          [
            ['2023-01-31', 'loan', 1],
            ['2023-02-01', 'loan', 1],
            ['2023-02-01', 'return', 1],
            ['2023-03-01', 'loan', 1],
            ['2023-03-01', 'return', 1],
          ],
        ],
        [
          'UTC',
          'day',
          [
            ['2023-01-31', 'loan', 2],
            ['2023-01-31', 'return', 1],
            ['2023-02-28', 'loan', 1],
            ['2023-03-01', 'return', 1],
          ],
        ],
        [
          'Asia/Shanghai',
          'month',
          [
            ['2023-01', 'loan', 1],
            ['2023-02', 'loan', 1],
            ['2023-02', 'return', 1],
            ['2023-03', 'loan', 1],
            ['2023-03', 'return', 1],
          ],
        ],
        [
          'UTC',
          'month',
          [
            ['2023-01', 'loan', 2],
            ['2023-01', 'return', 1],
            ['2023-02', 'loan', 1],
            ['2023-03', 'return', 1],
          ],
        ],
      ])('in %s, counts by %s follow local midnights', async (timeZone, granularity, expected) => {
        const store = await open(timeZone);
        await store.append(MIDNIGHTS);

        expect(await store.countByPeriod({ granularity, ...FIRST_QUARTER })).toEqual(
          expected.map(([period, type, count]) => ({ period, type, count })),
        );
      });

      test.each<[string, CountQuery, string[]]>([
        [
          'days from inclusive, to exclusive',
          { granularity: 'day', fromDay: '2023-02-01', toDay: '2023-03-01' },
          ['2023-02-01 loan 1', '2023-02-01 return 1'],
        ],
        [
          'months of whole days',
          { granularity: 'month', fromDay: '2023-02-01', toDay: '2023-03-01' },
          ['2023-02 loan 1', '2023-02 return 1'],
        ],
        ['a month cut by the range', { granularity: 'month', fromDay: '2023-01-31', toDay: '2023-02-01' }, ['2023-01 loan 1']],
        ['an empty range', { granularity: 'day', fromDay: '2023-02-01', toDay: '2023-02-01' }, []],
      ])('counts cover %s', async (_, query, expected) => {
        const store = await open('Asia/Shanghai');
        await store.append(MIDNIGHTS);

        const rows = await store.countByPeriod(query);
        expect(rows.map((r) => `${r.period} ${r.type} ${r.count}`)).toEqual(expected);
      });

      test('by kiosk, there is one row per period, kiosk and type, sorted in that order', async () => {
        const store = await open('Asia/Shanghai');
        await store.append([...MIDNIGHTS, event('m6', '2023-02-01T12:00:00+08:00', { kioskId: 'CY-000' })]);

        expect(await store.countByPeriod({ granularity: 'month', byKiosk: true, ...FIRST_QUARTER })).toEqual([
          { period: '2023-01', kioskId: 'CY-001', type: 'loan', count: 1 },
          { period: '2023-02', kioskId: 'CY-000', type: 'loan', count: 1 },
          { period: '2023-02', kioskId: 'CY-001', type: 'loan', count: 1 },
          { period: '2023-02', kioskId: 'CY-002', type: 'return', count: 1 },
          { period: '2023-03', kioskId: 'CY-001', type: 'return', count: 1 },
          { period: '2023-03', kioskId: 'CY-002', type: 'loan', count: 1 },
        ]);
      });

      test.each<[string, Pick<CountQuery, 'kioskIds' | 'types' | 'byKiosk'>, string[]]>([
        ['one kiosk', { kioskIds: ['CY-002'] }, ['2023-02 return 1', '2023-03 loan 1']],
        [
          'two kiosks',
          { kioskIds: ['CY-002', 'CY-001'] },
          ['2023-01 loan 1', '2023-02 loan 1', '2023-02 return 1', '2023-03 loan 1', '2023-03 return 1'],
        ],
        ['one type', { types: ['return'] }, ['2023-02 return 1', '2023-03 return 1']],
        ['a kiosk and a type, by kiosk', { kioskIds: ['CY-001'], types: ['return'], byKiosk: true }, ['2023-03 CY-001 return 1']],
        ['an unknown kiosk', { kioskIds: ['CY-999'] }, []],
        ['an empty list of kiosks', { kioskIds: [] }, []],
        ['an empty list of types', { types: [] }, []],
      ])('counts filtered by %s cover only those', async (_, filters, expected) => {
        const store = await open('Asia/Shanghai');
        await store.append(MIDNIGHTS);

        const rows = await store.countByPeriod({ granularity: 'month', ...FIRST_QUARTER, ...filters });
        expect(rows.map((r) => [r.period, r.kioskId, r.type, r.count].filter((x) => x !== undefined).join(' '))).toEqual(
          expected,
        );
      });

      test('an event arriving after later ones lands in its own month and leaves the others alone', async () => {
        const store = await open('Asia/Shanghai');
        await store.append([event('mar-1', '2023-03-10T08:00:00+08:00'), event('mar-2', '2023-03-11T08:00:00+08:00')]);
        await store.append([event('jan-late', '2023-01-15T08:00:00+08:00')]);

        expect(await store.countByPeriod({ granularity: 'month', ...FIRST_QUARTER })).toEqual([
          { period: '2023-01', type: 'loan', count: 1 },
          { period: '2023-03', type: 'loan', count: 2 },
        ]);
      });

      test.each<[string, Pick<CountQuery, 'granularity' | 'byKiosk'>]>([
        ['day', { granularity: 'day' }],
        ['month by kiosk', { granularity: 'month', byKiosk: true }],
      ])('counts by %s agree with the stored events, redeliveries included', async (_, shape) => {
        const timeZone = 'Asia/Shanghai';
        const store = await open(timeZone);
        const history = generateHistory(400, 11);
        await store.append(history.slice(0, 250));
        await store.append(history.slice(200));
        const query: CountQuery = { ...shape, fromDay: '2023-02-01', toDay: '2023-03-05' };

        const stored = await readAllPages(store, {}, 1000);
        expect(stored).toHaveLength(history.length);
        expect(await store.countByPeriod(query)).toEqual(countEvents(stored, timeZone, query));
      });

      test.each<[string, CountQuery]>([
        ['whole months', { granularity: 'month', fromDay: '2023-01-01', toDay: '2023-04-01' }],
        [
          'whole months by kiosk for two kiosks',
          { granularity: 'month', byKiosk: true, kioskIds: ['CY-001', 'CY-004'], fromDay: '2023-02-01', toDay: '2023-03-01' },
        ],
        [
          'months cut by the range',
          { granularity: 'month', types: ['loan', 'return'], fromDay: '2023-01-31', toDay: '2023-03-02' },
        ],
      ])('counts over %s agree with the stored events', async (_, query) => {
        const timeZone = 'Asia/Shanghai';
        const store = await open(timeZone);
        const history = generateHistory(400, 23);
        await store.append(history.slice(0, 300));
        await store.append(history.slice(100));

        const matching = (await readAllPages(store, {}, 1000)).filter(
          (e) => (query.kioskIds?.includes(e.kioskId) ?? true) && (query.types?.includes(e.type) ?? true),
        );
        expect(await store.countByPeriod(query)).toEqual(countEvents(matching, timeZone, query));
      });

      test.each(['2023-2-01', '2023-02', '', '2023-02-01T00:00'])(
        'a day bound of %j is rejected as an invalid query',
        async (day) => {
          const store = await open();

          await expectStoreError(
            store.countByPeriod({ granularity: 'day', fromDay: day, toDay: '2023-03-01' }),
            'STORE_INVALID_QUERY',
          );
          await expectStoreError(
            store.countByPeriod({ granularity: 'day', fromDay: '2023-01-01', toDay: day }),
            'STORE_INVALID_QUERY',
          );
        },
      );
    });

    describe('telemetry', () => {
      test('readings come back per kiosk, newest first, exactly as sent', async () => {
        const store = await open();
        await store.appendTelemetry([
          { kioskId: 'CY-001', tsMs: ms('2023-03-01T08:01:00Z'), readings: { temperatureC: 21.5, paperPercent: 80 } },
          { kioskId: 'CY-002', tsMs: ms('2023-03-01T08:02:00Z'), readings: { temperatureC: -3.25 } },
          { kioskId: 'CY-001', tsMs: ms('2023-03-01T08:03:00Z'), readings: { binFillPercent: 12, signalDbm: -71 } },
        ]);
        await store.appendTelemetry([{ kioskId: 'CY-001', tsMs: ms('2023-03-01T08:00:00Z'), readings: { booksAvailable: 312 } }]);

        expect(await store.readTelemetry({ kioskId: 'CY-001' })).toEqual([
          { kioskId: 'CY-001', tsMs: ms('2023-03-01T08:03:00Z'), readings: { binFillPercent: 12, signalDbm: -71 } },
          { kioskId: 'CY-001', tsMs: ms('2023-03-01T08:01:00Z'), readings: { temperatureC: 21.5, paperPercent: 80 } },
          { kioskId: 'CY-001', tsMs: ms('2023-03-01T08:00:00Z'), readings: { booksAvailable: 312 } },
        ]);
        expect(await store.readTelemetry({ kioskId: 'CY-404' })).toEqual([]);
      });

      test('telemetry reads keep to the window (from inclusive, to exclusive) and the limit', async () => {
        const store = await open();
        const start = ms('2023-03-01T00:00:00Z');
        await store.appendTelemetry(
          Array.from({ length: 20 }, (_, i) => ({ kioskId: 'CY-001', tsMs: start + i * 60_000, readings: { paperPercent: i } })),
        );
        const paper = async (query: Parameters<EventStore['readTelemetry']>[0]): Promise<number[]> =>
          (await store.readTelemetry(query)).map((r) => r.readings.paperPercent!);

        expect(await paper({ kioskId: 'CY-001', fromMs: start + 5 * 60_000, toMs: start + 9 * 60_000 })).toEqual([8, 7, 6, 5]);
        expect(await paper({ kioskId: 'CY-001', limit: 3 })).toEqual([19, 18, 17]);
      });
    });

    describe('dead letters', () => {
      const letter = (i: number, kioskId?: string): DeadLetterRecord => ({
        receivedMs: RECEIVED_MS + i,
        topic: `kiosks/${kioskId ?? '+'}/events`,
        ...(kioskId === undefined ? {} : { kioskId }),
        reason: i % 2 === 0 ? 'schema' : 'invalid_json',
        detail: `field ts: bad value #${i}`,
        payloadExcerpt: `{"id":"x-${i}","ts":"昨天"`,
      });

      test('dead letters come back newest first, numbered in arrival order, exactly as recorded', async () => {
        const store = await open();
        await store.appendDeadLetters([letter(1, 'CY-001'), letter(2)]);
        await store.appendDeadLetters([letter(3, 'CY-002')]);

        const stored = await store.readDeadLetters();
        expect(stored.map(({ seq: _seq, ...record }) => record)).toEqual([letter(3, 'CY-002'), letter(2), letter(1, 'CY-001')]);
        const seqs = stored.map((r) => r.seq);
        expect(seqs[0]! > seqs[1]! && seqs[1]! > seqs[2]!).toBe(true);
        expect(stored[1]!.kioskId).toBeUndefined();
        expect(await store.countDeadLetters()).toBe(3);
      });

      test('paging with beforeSeq visits every dead letter once, and 100 come back by default', async () => {
        const store = await open();
        await store.appendDeadLetters(Array.from({ length: 125 }, (_, i) => letter(i, 'CY-001')));

        const pages: number[][] = [];
        let beforeSeq: number | undefined;
        for (;;) {
          const page = await store.readDeadLetters({ limit: 40, ...(beforeSeq === undefined ? {} : { beforeSeq }) });
          if (page.length === 0) break;
          pages.push(page.map((r) => r.receivedMs - RECEIVED_MS));
          beforeSeq = page.at(-1)!.seq;
        }
        expect(pages.map((p) => p.length)).toEqual([40, 40, 40, 5]);
        expect(pages.flat()).toEqual(Array.from({ length: 125 }, (_, i) => 124 - i));
        expect(await store.readDeadLetters()).toHaveLength(100);
        expect(await store.countDeadLetters()).toBe(125);
      });
    });

    describe('lifecycle', () => {
      test('the store reports the time zone it counts days in', async () => {
        expect((await open('Asia/Shanghai')).timeZone).toBe('Asia/Shanghai');
        expect((await open('UTC')).timeZone).toBe('UTC');
      });

      test('close can be called twice, and a closed store rejects calls with STORE_CLOSED', async () => {
        const store = await open();
        await store.close();
        await store.close();

        await expectStoreError(store.append([event('e-1', '2023-03-01T08:00:00Z')]), 'STORE_CLOSED');
        await expectStoreError(store.readEvents({}), 'STORE_CLOSED');
        await expectStoreError(store.countDeadLetters(), 'STORE_CLOSED');
      });
    });
  });
}
