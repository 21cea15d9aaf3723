import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { listenToPostgres } from '../../config/postgres-listener.js';
import type { EventRecord } from './event-store.js';
import type { AppendsSince } from './postgres-appends-since.js';
import { isVisibleIn, parseSnapshot, type PostgresSnapshot } from './postgres-snapshot.js';

/**
 * How each node of a cluster learns of the events the other nodes append to the shared history:
 * every append that inserts rows sends `NOTIFY` with their ids in the same transaction (PostgreSQL
 * delivers it at commit, in commit order, and never for a rolled-back append), tagged with the
 * appending store's source id; each node LISTENs, skips its own, and reads the others' rows by id.
 * The live views (commands and their acks, alerts, service promises) fold them as their own, so
 * every node's dashboard shows what any node stored.
 *
 * Notifications sent while a node's listening connection is down are gone (PostgreSQL keeps
 * none), so after reconnecting the node catches up from the table itself. Events carry the id of
 * the transaction that appended them (`txid`), and the feed keeps a snapshot it is "caught up
 * to": every other node's row that snapshot sees has been handed on (or was there at the start).
 * Catching up reads the rows the snapshot does not see, in a new snapshot, and hands on those not
 * handed on already; the new snapshot becomes the base. A notice carries its transaction's id: if
 * the base sees that transaction, the catch-up already handed its rows on, and the notice is
 * skipped. So each row is handed on once, whether its notice arrives, is lost, or arrives after
 * the catch-up read it. (Not an identity column: sequence values are taken at insert but become
 * visible at commit, out of order, so "seq above the last seen" would miss a transaction that
 * took a lower value and committed later; a snapshot says exactly which transactions it saw.)
 */

export const APPENDS_CHANNEL = 'kiosk_fleet_appends';

/** PostgreSQL refuses a payload of 8,000 bytes or more: ids go in chunks below it. */
const MAX_PAYLOAD_BYTES = 7_000;

const noticeSchema = z.strictObject({
  source: z.string().min(1),
  /** The appending transaction (xid8 as text); absent from a node of a version before it. */
  xid: z.string().regex(/^\d+$/).optional(),
  ids: z.array(z.string().min(1)).min(1),
});
export type AppendNotice = z.infer<typeof noticeSchema>;

/** The payloads announcing `ids`, each under the size PostgreSQL accepts. */
export function appendNotices(source: string, xid: string, ids: readonly string[]): string[] {
  const payloads: string[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const overhead = Buffer.byteLength(JSON.stringify({ source, xid, ids: [] }));
  for (const id of ids) {
    const idBytes = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (chunk.length > 0 && overhead + bytes + idBytes > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify({ source, xid, ids: chunk }));
      chunk = [];
      bytes = 0;
    }
    chunk.push(id);
    bytes += idBytes;
  }
  if (chunk.length > 0) payloads.push(JSON.stringify({ source, xid, ids: chunk }));
  return payloads;
}

/** A payload read back, or null when it is not one of ours. */
export function parseAppendNotice(payload: string): AppendNotice | null {
  try {
    const parsed = noticeSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Announces the ids an append inserted, inside its transaction (sent at commit). */
export async function notifyAppended(client: pg.PoolClient, source: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const { rows } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  for (const payload of appendNotices(source, rows[0]!.xid, ids)) {
    await client.query('SELECT pg_notify($1, $2)', [APPENDS_CHANNEL, payload]);
  }
}

/** Ids handed on since the base snapshot past which the feed catches up anyway, to bound them. */
const MAX_HANDED_ON = 50_000;

export interface FollowOptions {
  url: string;
  /** This store's source id: its own appends are already known to it. */
  source: string;
  /** The snapshot to start from (`pg_current_snapshot()`): what it sees is not handed on. */
  snapshot(): Promise<string>;
  /** Reads the rows of these ids, as stored. */
  read(ids: readonly string[]): Promise<EventRecord[]>;
  /** Other stores' rows committed since the snapshot `since`, and the snapshot they were read in. */
  readSince(since: string): Promise<AppendsSince>;
  /** Called with each batch another node appended, in commit order. */
  onAppended(records: EventRecord[]): void;
  logger?: Logger | undefined;
}

/**
 * LISTENs for the other nodes' appends on a connection of its own. Batches are read one after
 * another, so they are handed on in the order they were committed. After the connection was lost
 * and made again, the feed reads what was committed meanwhile and hands it on (see above).
 */
export async function followAppends(options: FollowOptions): Promise<{ close(): Promise<void> }> {
  const log = options.logger?.child({ component: 'append-feed' });
  // Taken before LISTEN; what commits between the two is read by the catch-up right after LISTEN.
  let base: PostgresSnapshot = parseSnapshot(await options.snapshot());
  // Ids handed on whose transactions the base does not see: a catch-up must not hand them again.
  let handedOn = new Set<string>();
  let chain = Promise.resolve();
  let isClosed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const catchUp = (why: string): void => {
    chain = chain
      .then(async () => {
        if (isClosed) return;
        const since = await options.readSince(base.text);
        const missed = since.records.filter((r) => !handedOn.has(r.id));
        // Before handing on, so a failing consumer cannot make the next catch-up repeat them. The
        // new base sees every id remembered, so they need not be remembered any longer.
        base = parseSnapshot(since.snapshot);
        handedOn = new Set();
        if (missed.length > 0) {
          log?.info({ count: missed.length, why }, "caught up with other nodes' appends");
          options.onAppended(missed);
        }
      })
      .catch((error: unknown) => {
        log?.error({ err: error, why }, "the append feed could not catch up with other nodes' appends; retrying in 1 s");
        if (isClosed) return;
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => catchUp(why), 1_000);
        retryTimer.unref();
      });
  };

  const listener = await listenToPostgres({
    url: options.url,
    channel: APPENDS_CHANNEL,
    applicationName: 'kiosk-fleet append feed',
    onNotify: (payload) => {
      const notice = parseAppendNotice(payload);
      if (notice === null || notice.source === options.source) return;
      chain = chain
        .then(async () => {
          // The base sees this transaction: a catch-up already handed its rows on.
          if (notice.xid !== undefined && isVisibleIn(base, BigInt(notice.xid))) return;
          // In the order they were appended: the views fold a machine's records in that order.
          const byId = new Map((await options.read(notice.ids)).map((r) => [r.id, r]));
          const records = notice.ids.flatMap((id) => byId.get(id) ?? []).filter((r) => !handedOn.has(r.id));
          for (const r of records) handedOn.add(r.id);
          if (records.length > 0) options.onAppended(records);
          if (handedOn.size > MAX_HANDED_ON) catchUp('to forget the ids handed on');
        })
        .catch((error: unknown) => {
          log?.error({ err: error, count: notice.ids.length }, 'events another node appended could not be read');
          // Their transaction is not in the base: the catch-up reads them.
          catchUp('a notice could not be read');
        });
    },
    onResync: () => {
      log?.warn("the append feed reconnected: reading other nodes' appends made meanwhile");
      catchUp('reconnected');
    },
    onError: (error) => log?.error({ err: error }, 'the append feed lost its PostgreSQL connection; reconnecting'),
  });
  catchUp('started');
  return {
    async close() {
      isClosed = true;
      clearTimeout(retryTimer);
      await listener.close();
      await chain;
    },
  };
}
