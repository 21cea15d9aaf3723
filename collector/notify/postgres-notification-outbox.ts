import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { migratePostgresSchema, type PostgresMigration } from '../../config/postgres-migrations.js';
import { createPostgresPool, inTransaction } from '../../config/postgres-pool.js';
import {
  type AlertDelivery,
  type NewOutboxEntry,
  type NotificationOutbox,
  type OutboxEntry,
  OUTBOX_STATES,
} from './notification-outbox.js';
import { type AlertDeliveryRow, alertDeliveryOf, type OutboxRow, outboxEntryOf } from './outbox-row.js';

/** The name the outbox's schema versions are recorded under in `schema_migrations`. */
export const NOTIFICATION_OUTBOX_COMPONENT = 'notification-outbox';

const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: the outbox shared by every node, its alerts and notice keys, the sender lease.
  `
  CREATE TABLE notify_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text COLLATE "C" NOT NULL UNIQUE,
    channel text COLLATE "C" NOT NULL,
    group_key text COLLATE "C",
    message jsonb NOT NULL,
    state text COLLATE "C" NOT NULL,
    created_ms bigint NOT NULL,
    due_ms bigint NOT NULL,
    expires_ms bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    done_ms bigint,
    done_by text,
    merged_into bigint,
    claimed_by text,
    lease_until bigint
  );
  CREATE INDEX notify_outbox_by_channel ON notify_outbox (channel, state, created_ms, id);
  CREATE INDEX notify_outbox_done ON notify_outbox (done_ms) WHERE done_ms IS NOT NULL;
  CREATE TABLE notify_outbox_alerts (
    alert_id text COLLATE "C" NOT NULL,
    entry_id bigint NOT NULL,
    kind text NOT NULL,
    step integer,
    PRIMARY KEY (alert_id, entry_id)
  );
  CREATE INDEX notify_outbox_alerts_by_entry ON notify_outbox_alerts (entry_id);
  CREATE TABLE notify_outbox_notice_keys (
    channel text COLLATE "C" NOT NULL,
    notice_key text COLLATE "C" NOT NULL,
    entry_id bigint NOT NULL,
    PRIMARY KEY (channel, notice_key)
  );
  CREATE INDEX notify_outbox_notice_keys_by_entry ON notify_outbox_notice_keys (entry_id);
  CREATE TABLE notify_outbox_lease (
    name text PRIMARY KEY,
    owner text NOT NULL,
    expires_ms bigint NOT NULL
  );
  `,
];

/** jsonb comes back parsed: the message goes back to text for the shared mapping. */
type Row = Omit<OutboxRow, 'message'> & { message: unknown };
const entryOf = (row: Row) => outboxEntryOf({ ...row, message: JSON.stringify(row.message) });

const LEASE = 'sender';
const OPEN = `('pending', 'sending', 'held')`;
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

async function insertEntry(q: Queryable, e: NewOutboxEntry): Promise<Row> {
  const { rows } = await q.query<Row>(
    `INSERT INTO notify_outbox (key, channel, group_key, message, state, created_ms, due_ms, expires_ms)
     VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING *`,
    [randomUUID(), e.channel, e.groupKey, JSON.stringify(e.message), e.createdMs, e.dueMs, e.expiresMs],
  );
  return rows[0]!;
}

async function linkAlerts(q: Queryable, id: number, message: NewOutboxEntry['message']): Promise<void> {
  if (message.source !== 'alerts') return;
  for (const n of message.notices) {
    await q.query(
      'INSERT INTO notify_outbox_alerts (alert_id, entry_id, kind, step) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [n.alertId, id, n.kind, n.step],
    );
  }
}

/**
 * The notification outbox in PostgreSQL (DATABASE_URL), shared by every node, so a notice is
 * recorded once and sent once however many nodes run. Recording is idempotent on the notice: the
 * notice keys are inserted with `ON CONFLICT DO NOTHING`, and an entry none of whose keys went in
 * is rolled back to its savepoint; when two nodes record the same notice at once, the second
 * insert waits for the first transaction and then finds the key taken. Sending claims a message
 * with `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`: two nodes claiming at once take
 * different messages, never the same one twice; the claim's lease lets another node take a
 * message over when its sender died mid-send.
 */
export async function openPostgresNotificationOutbox(options: { url: string; logger?: Logger }): Promise<NotificationOutbox> {
  const pool = createPostgresPool({
    url: options.url,
    applicationName: 'kiosk-fleet notification outbox',
    maxConnections: 4,
    onIdleError: (error) => options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool replaces it'),
  });
  try {
    await migratePostgresSchema(pool, NOTIFICATION_OUTBOX_COMPONENT, MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const one = async (sql: string, params: unknown[]) => {
    const { rows } = await pool.query<Row>(sql, params);
    return rows[0] ? entryOf(rows[0]) : undefined;
  };
  const many = async (sql: string, params: unknown[]) => (await pool.query<Row>(sql, params)).rows.map(entryOf);
  const changed = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rowCount === 1;

  return Object.freeze({
    add: (entries) =>
      inTransaction(pool, async (client) => {
        const added: OutboxEntry[] = [];
        for (const e of entries) {
          await client.query('SAVEPOINT entry');
          const row = await insertEntry(client, e);
          let keysTaken = 0;
          for (const k of e.noticeKeys) {
            const r = await client.query(
              `INSERT INTO notify_outbox_notice_keys (channel, notice_key, entry_id) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING`,
              [e.channel, k, row.id],
            );
            keysTaken += r.rowCount ?? 0;
          }
          if (e.noticeKeys.length > 0 && keysTaken === 0) {
            // Every notice already recorded for this channel (here or by another node): not again.
            await client.query('ROLLBACK TO SAVEPOINT entry');
            continue;
          }
          await linkAlerts(client, row.id, e.message);
          added.push(entryOf(row));
        }
        return added;
      }),
    get: (id) => one('SELECT * FROM notify_outbox WHERE id = $1', [id]),
    head: (channel) =>
      one(`SELECT * FROM notify_outbox WHERE channel = $1 AND state = 'pending' ORDER BY created_ms, id LIMIT 1`, [channel]),
    pendingInGroup: (channel, groupKey) =>
      many(`SELECT * FROM notify_outbox WHERE channel = $1 AND group_key = $2 AND state = 'pending' ORDER BY created_ms, id`, [
        channel,
        groupKey,
      ]),
    merge: (ids, digest) =>
      inTransaction(pool, async (client) => {
        const row = await insertEntry(client, digest);
        await linkAlerts(client, row.id, digest.message);
        for (const old of ids) {
          const r = await client.query(
            `UPDATE notify_outbox SET state = 'merged', merged_into = $1, done_ms = $2 WHERE id = $3 AND state = 'pending'`,
            [row.id, digest.dueMs, old],
          );
          if (r.rowCount !== 1) throw new Error(`outbox entry ${old} is not pending`);
        }
        return entryOf(row);
      }),
    claim: (id, owner, atMs, leaseMs) =>
      changed(
        `UPDATE notify_outbox SET state = 'sending', attempts = attempts + 1, due_ms = $2, claimed_by = $3, lease_until = $4
         WHERE id = (SELECT id FROM notify_outbox WHERE id = $1 AND state = 'pending' FOR UPDATE SKIP LOCKED)
         AND state = 'pending'`,
        [id, atMs, owner, atMs + leaseMs],
      ),
    claimNext: (channel, owner, nowMs, leaseMs) =>
      one(
        `UPDATE notify_outbox SET state = 'sending', attempts = attempts + 1, due_ms = $2, claimed_by = $3, lease_until = $4
         WHERE id = (
           SELECT id FROM notify_outbox WHERE channel = $1 AND state = 'pending' AND due_ms <= $2 AND expires_ms > $2
           ORDER BY created_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED
         ) AND state = 'pending'
         RETURNING *`,
        [channel, nowMs, owner, nowMs + leaseMs],
      ),
    async markSent(id, atMs) {
      await pool.query(`UPDATE notify_outbox SET state = 'sent', done_ms = $2, last_error = NULL WHERE id = $1`, [id, atMs]);
    },
    async markRetry(id, dueMs, error) {
      await pool.query(`UPDATE notify_outbox SET state = 'pending', due_ms = $2, last_error = $3 WHERE id = $1`, [
        id,
        dueMs,
        error,
      ]);
    },
    async hold(id, error) {
      await pool.query(`UPDATE notify_outbox SET state = 'held', last_error = $2 WHERE id = $1`, [id, error]);
    },
    retry: (id, by, atMs) =>
      changed(`UPDATE notify_outbox SET state = 'pending', due_ms = $2, done_by = $3 WHERE id = $1 AND state = 'held'`, [
        id,
        atMs,
        by,
      ]),
    giveUp: (id, by, atMs) =>
      changed(
        `UPDATE notify_outbox SET state = 'given_up', done_ms = $2, done_by = $3 WHERE id = $1 AND state IN ('pending', 'held')`,
        [id, atMs, by],
      ),
    expire: (nowMs) =>
      many(
        `UPDATE notify_outbox SET state = 'expired', done_ms = $1, done_by = NULL
         WHERE id IN (SELECT id FROM notify_outbox WHERE state IN ('pending', 'held') AND expires_ms <= $1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [nowMs],
      ).then((rows) => rows.sort((a, b) => a.id - b.id)),
    inFlight: (channel, nowMs) =>
      many(
        `SELECT * FROM notify_outbox WHERE channel = $1 AND state = 'sending' AND coalesce(lease_until, 0) <= $2
         ORDER BY created_ms, id`,
        [channel, nowMs],
      ),
    sentSince: async (channel, sinceMs) =>
      (
        await pool.query<{ done_ms: number }>(
          `SELECT done_ms FROM notify_outbox WHERE channel = $1 AND state = 'sent' AND done_ms >= $2 ORDER BY done_ms DESC`,
          [channel, sinceMs],
        )
      ).rows.map((r) => r.done_ms),
    list: (query) =>
      many(
        `SELECT * FROM notify_outbox WHERE state = ANY($1::text[]) AND ($2::text IS NULL OR channel = $2)
         ORDER BY created_ms DESC, id DESC LIMIT $3`,
        [query.states ?? OUTBOX_STATES, query.channel ?? null, query.limit],
      ),
    depths: async () =>
      (
        await pool.query<{ channel: string; depth: number; held: number; oldest: number | null }>(
          `SELECT channel, count(*)::integer AS depth, count(*) FILTER (WHERE state = 'held')::integer AS held,
             min(created_ms) AS oldest
           FROM notify_outbox WHERE state IN ${OPEN} GROUP BY channel ORDER BY channel`,
        )
      ).rows.map((r) => ({ channel: r.channel, depth: r.depth, held: r.held, oldestCreatedMs: r.oldest })),
    deliveriesOf: async (alertId): Promise<AlertDelivery[]> =>
      (
        await pool.query<AlertDeliveryRow>(
          `SELECT o.*, a.kind, a.step FROM notify_outbox_alerts a JOIN notify_outbox o ON o.id = a.entry_id
           WHERE a.alert_id = $1 AND o.state != 'merged' ORDER BY o.created_ms, o.id`,
          [alertId],
        )
      ).rows.map(alertDeliveryOf),
    prune: (beforeMs) =>
      inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: number }>(
          `DELETE FROM notify_outbox WHERE state NOT IN ${OPEN} AND done_ms < $1 RETURNING id`,
          [beforeMs],
        );
        const ids = rows.map((r) => r.id);
        if (ids.length > 0) {
          await client.query('DELETE FROM notify_outbox_alerts WHERE entry_id = ANY($1::bigint[])', [ids]);
          await client.query('DELETE FROM notify_outbox_notice_keys WHERE entry_id = ANY($1::bigint[])', [ids]);
        }
        return ids.length;
      }),
    acquireLease: async (owner, nowMs, ttlMs) =>
      // Taken when free, expired or already ours; one statement, so two nodes cannot both win.
      changed(
        `INSERT INTO notify_outbox_lease (name, owner, expires_ms) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
         WHERE notify_outbox_lease.owner = excluded.owner OR notify_outbox_lease.expires_ms <= $4`,
        [LEASE, owner, nowMs + ttlMs, nowMs],
      ),
    async releaseLease(owner) {
      await pool.query('DELETE FROM notify_outbox_lease WHERE name = $1 AND owner = $2', [LEASE, owner]);
    },
    close: () => pool.end(),
  } satisfies NotificationOutbox);
}
