import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { listenToPostgres } from '../../config/postgres-listener.js';
import type { EventRecord } from './event-store.js';

/**
 * How each node of a cluster learns of the events the other nodes append to the shared history:
 * every append that inserts rows sends `NOTIFY` with their ids in the same transaction (PostgreSQL
 * delivers it at commit, in commit order, and never for a rolled-back append), tagged with the
 * appending store's source id; each node LISTENs, skips its own, and reads the others' rows by id.
 * The live views (commands and their acks, alerts, service promises) fold them as their own, so
 * every node's dashboard shows what any node stored.
 */

export const APPENDS_CHANNEL = 'kiosk_fleet_appends';

/** PostgreSQL refuses a payload of 8,000 bytes or more: ids go in chunks below it. */
const MAX_PAYLOAD_BYTES = 7_000;

const noticeSchema = z.strictObject({ source: z.string().min(1), ids: z.array(z.string().min(1)).min(1) });
export type AppendNotice = z.infer<typeof noticeSchema>;

/** The payloads announcing `ids`, each under the size PostgreSQL accepts. */
export function appendNotices(source: string, ids: readonly string[]): string[] {
  const payloads: string[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const overhead = Buffer.byteLength(JSON.stringify({ source, ids: [] }));
  for (const id of ids) {
    const idBytes = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (chunk.length > 0 && overhead + bytes + idBytes > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify({ source, ids: chunk }));
      chunk = [];
      bytes = 0;
    }
    chunk.push(id);
    bytes += idBytes;
  }
  if (chunk.length > 0) payloads.push(JSON.stringify({ source, ids: chunk }));
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
  for (const payload of appendNotices(source, ids)) {
    await client.query('SELECT pg_notify($1, $2)', [APPENDS_CHANNEL, payload]);
  }
}

export interface FollowOptions {
  url: string;
  /** This store's source id: its own appends are already known to it. */
  source: string;
  /** Reads the rows of these ids, as stored. */
  read(ids: readonly string[]): Promise<EventRecord[]>;
  /** Called with each batch another node appended, in commit order. */
  onAppended(records: EventRecord[]): void;
  logger?: Logger | undefined;
}

/**
 * LISTENs for the other nodes' appends on a connection of its own. Batches are read one after
 * another, so they are handed on in the order they were committed. Notifications sent while the
 * connection was lost are gone (PostgreSQL keeps none): that is logged, and the live views catch
 * up at the node's next start.
 */
export async function followAppends(options: FollowOptions): Promise<{ close(): Promise<void> }> {
  const log = options.logger?.child({ component: 'append-feed' });
  let chain = Promise.resolve();
  const listener = await listenToPostgres({
    url: options.url,
    channel: APPENDS_CHANNEL,
    applicationName: 'kiosk-fleet append feed',
    onNotify: (payload) => {
      const notice = parseAppendNotice(payload);
      if (notice === null || notice.source === options.source) return;
      chain = chain
        .then(async () => {
          // In the order they were appended: the views fold a machine's records in that order.
          const byId = new Map((await options.read(notice.ids)).map((r) => [r.id, r]));
          const records = notice.ids.flatMap((id) => byId.get(id) ?? []);
          if (records.length > 0) options.onAppended(records);
        })
        .catch((error: unknown) =>
          log?.error({ err: error, count: notice.ids.length }, 'events another node appended could not be read'),
        );
    },
    onResync: () =>
      log?.warn(
        "the append feed reconnected: other nodes' appends made meanwhile reach this node's live views at its next start",
      ),
    onError: (error) => log?.error({ err: error }, 'the append feed lost its PostgreSQL connection; reconnecting'),
  });
  return {
    async close() {
      await listener.close();
      await chain;
    },
  };
}
