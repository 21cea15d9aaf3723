import type pg from 'pg';
import type { EventRecord } from './event-store.js';
import { EVENT_COLUMNS, type EventRow, toEventRecord } from './postgres-event-row.js';

export interface AppendsSince {
  /** The snapshot the rows were read in (`pg_current_snapshot()` as text). */
  snapshot: string;
  /** Rows committed after `since` and seen by `snapshot`, not appended by `source`. */
  records: EventRecord[];
}

/**
 * The events other stores committed since a snapshot: the rows whose appending transaction
 * (`txid`) that snapshot did not see, read in one REPEATABLE READ transaction together with the
 * snapshot taken now, so the next catch-up starts exactly where this one ends. There is no
 * commit timestamp to order them by: they come in the order their transactions took an id, then
 * by event time. One node appends a machine's messages one batch after another, so a machine's
 * records keep their order; the order across machines does not matter to the views.
 */
export async function appendsSince(pool: pg.Pool, since: string, source: string): Promise<AppendsSince> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: snapshotRows } = await client.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot');
    const { rows } = await client.query<EventRow>(
      // txid >= xmin lets the index skip everything older; older rows were seen by `since`.
      `SELECT ${EVENT_COLUMNS} FROM events
       WHERE txid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(txid, $1::pg_snapshot)
         AND source IS DISTINCT FROM $2
       ORDER BY txid, ts_ms, id`,
      [since, source],
    );
    await client.query('COMMIT');
    return {
      snapshot: snapshotRows[0]!.snapshot,
      records: rows.map(toEventRecord),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The snapshot a feed starts from: what it sees is the node's to read at its start. */
export async function currentSnapshot(pool: pg.Pool): Promise<string> {
  return (await pool.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot')).rows[0]!.snapshot;
}
