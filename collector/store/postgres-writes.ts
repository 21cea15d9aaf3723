import type pg from 'pg';
import type { Calendar } from '../../time/calendar.js';
import { isSameEvent } from './event-identity.js';
import { EVENT_COLUMNS, type EventRow, toEventRecord } from './postgres-event-row.js';
import type { AppendResult, DeadLetterRecord, EventRecord, IdConflict, TelemetryRecord } from './event-store.js';

/**
 * The PostgreSQL store's writes, each run inside the caller's transaction. Rows go in as arrays
 * through `unnest` (one statement per table, whatever the batch size), and rows that other
 * transactions may lock too (events by id, counts by key) are written in one sorted order, so two
 * nodes appending overlapping batches wait for each other instead of deadlocking.
 */

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** PostgreSQL text cannot hold NUL; a dead letter's excerpt of a binary payload can. */
const withoutNul = (text: string): string => text.replaceAll('\u0000', '\uFFFD');

export async function appendEvents(
  client: pg.PoolClient,
  calendar: Calendar,
  records: readonly EventRecord[],
  /** The appending store's source id, kept on each row so its own feed's catch-up skips them. */
  source: string | null = null,
): Promise<AppendResult> {
  // The first event with an id wins within a batch, as across batches.
  const firstById = new Map<string, EventRecord>();
  for (const r of records) if (!firstById.has(r.id)) firstById.set(r.id, r);
  const candidates = [...firstById.values()].map((r) => ({ key: r.id, r })).sort(byKey);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO events (id, kiosk_id, type, ts, ts_ms, received_ms, data, source)
     SELECT u.*, $8::text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::json[]) AS u
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      candidates.map(({ r }) => r.id),
      candidates.map(({ r }) => r.kioskId),
      candidates.map(({ r }) => r.type),
      candidates.map(({ r }) => r.ts),
      candidates.map(({ r }) => r.tsMs),
      candidates.map(({ r }) => r.receivedMs),
      candidates.map(({ r }) => JSON.stringify(r.data)),
      source,
    ],
  );
  const newIds = new Set(rows.map((row) => row.id));
  // What each id taken already stands for: the row stored before (committed: ON CONFLICT waited
  // for any transaction writing it), or the first of this batch, just inserted.
  const standing = new Map([...newIds].map((id) => [id, firstById.get(id)!]));
  for (const stored of await storedEvents(
    client,
    [...firstById.keys()].filter((id) => !newIds.has(id)),
  )) {
    standing.set(stored.id, stored);
  }
  const inserted: string[] = [];
  const duplicates: string[] = [];
  const conflicts: IdConflict[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    const { id } = record;
    const isFirst = !seen.has(id);
    seen.add(id);
    if (isFirst && newIds.has(id)) {
      inserted.push(id);
      continue;
    }
    // The same event again is a redelivery; another one under its id is a conflict.
    const stored = standing.get(id)!;
    if (isSameEvent(stored, record)) duplicates.push(id);
    else conflicts.push({ id, stored, refused: record });
  }
  // Only new rows are counted, so redelivery and replay never count an event twice.
  const daily = new Map<string, { key: string; period: string; kioskId: string; type: string; count: number }>();
  const monthly = new Map<string, { key: string; period: string; kioskId: string; type: string; count: number }>();
  for (const id of inserted) {
    const r = firstById.get(id)!;
    const day = calendar.dayOf(r.tsMs);
    for (const [counts, period] of [
      [daily, day],
      [monthly, day.slice(0, 7)],
    ] as const) {
      const key = JSON.stringify([period, r.kioskId, r.type]);
      const increment = counts.get(key);
      if (increment) increment.count += 1;
      else counts.set(key, { key, period, kioskId: r.kioskId, type: r.type, count: 1 });
    }
  }
  await addCounts(client, 'daily_counts', 'day', [...daily.values()].sort(byKey));
  await addCounts(client, 'monthly_counts', 'month', [...monthly.values()].sort(byKey));
  return { inserted, duplicates, conflicts };
}

/** The stored events with these ids, as they were stored. */
export async function storedEvents(client: Pick<pg.PoolClient, 'query'>, ids: readonly string[]): Promise<EventRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1::text[])`, [ids]);
  return rows.map(toEventRecord);
}

async function addCounts(
  client: pg.PoolClient,
  table: 'daily_counts' | 'monthly_counts',
  column: 'day' | 'month',
  increments: ReadonlyArray<{ period: string; kioskId: string; type: string; count: number }>,
): Promise<void> {
  if (increments.length === 0) return;
  await client.query(
    `INSERT INTO ${table} (${column}, kiosk_id, type, count)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
     ON CONFLICT (${column}, kiosk_id, type) DO UPDATE SET count = ${table}.count + excluded.count`,
    [
      increments.map((i) => i.period),
      increments.map((i) => i.kioskId),
      increments.map((i) => i.type),
      increments.map((i) => i.count),
    ],
  );
}

export async function appendTelemetry(client: pg.Pool | pg.PoolClient, records: readonly TelemetryRecord[]): Promise<void> {
  await client.query(
    `INSERT INTO telemetry (kiosk_id, ts_ms, readings) SELECT * FROM unnest($1::text[], $2::bigint[], $3::json[])`,
    [records.map((r) => r.kioskId), records.map((r) => r.tsMs), records.map((r) => JSON.stringify(r.readings))],
  );
}

/** Appends dead letters and deletes all but the newest `keep`, in one transaction. */
export async function appendDeadLetters(
  client: pg.PoolClient,
  records: readonly DeadLetterRecord[],
  keep: number,
): Promise<void> {
  await client.query(
    `INSERT INTO dead_letters (received_ms, topic, kiosk_id, reason, detail, payload_excerpt)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
    [
      records.map((r) => r.receivedMs),
      records.map((r) => withoutNul(r.topic)),
      records.map((r) => (r.kioskId === undefined ? null : withoutNul(r.kioskId))),
      records.map((r) => withoutNul(r.reason)),
      records.map((r) => withoutNul(r.detail)),
      records.map((r) => withoutNul(r.payloadExcerpt)),
    ],
  );
  // As in SQLite: by number, so a gap left by a rolled-back insert only keeps a few fewer.
  await client.query('DELETE FROM dead_letters WHERE seq <= (SELECT max(seq) FROM dead_letters) - $1', [keep]);
}
