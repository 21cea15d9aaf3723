import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import type { NotificationMessage } from '../../collector/domain/notification-rules.js';
import type { NewOutboxEntry, NotificationOutbox, OutboxEntry } from '../../collector/notify/notification-outbox.js';
import { openPostgresNotificationOutbox } from '../../collector/notify/postgres-notification-outbox.js';
import { describeNotificationOutboxContract, facts } from '../contract/notification-outbox-contract.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../support/postgres.js';

const T0 = Date.parse('2026-11-22T00:30:00Z');
const LEASE_MS = 60_000;

const entryOf = (i: number): NewOutboxEntry => {
  const n = facts(`AL-${i}`);
  const message: NotificationMessage = {
    source: 'alerts',
    id: `AL-${i}|opened|`,
    kind: 'opened',
    step: null,
    percent: null,
    district: n.district,
    severity: n.severity,
    notices: [n],
  };
  return {
    channel: 'hook',
    message,
    groupKey: null,
    noticeKeys: [`AL-${i}|opened|`],
    alertIds: [`AL-${i}`],
    createdMs: T0 + i,
    dueMs: T0,
    expiresMs: T0 + 86_400_000,
  };
};

describe.skipIf(skipWithoutPostgres)('the notification outbox in PostgreSQL', () => {
  const postgres = usePostgres();

  describeNotificationOutboxContract('PostgreSQL', async () => {
    const database = await postgres.createDatabase();
    const opened: NotificationOutbox[] = [];
    const openOne = async () => {
      const outbox = await openPostgresNotificationOutbox({ url: database.url });
      opened.push(outbox);
      return outbox;
    };
    return {
      outbox: await openOne(),
      reopen: openOne,
      async cleanup() {
        for (const outbox of opened) await outbox.close();
        await database.drop();
      },
    };
  });

  describe('shared by two nodes', () => {
    let database: TestDatabase | undefined;
    const outboxes: NotificationOutbox[] = [];
    /** Plain clients playing another node; ended first, so a lock they hold cannot keep the outboxes from closing. */
    const clients: pg.Client[] = [];
    afterEach(async () => {
      for (const client of clients.splice(0)) await client.end().catch(() => undefined);
      for (const outbox of outboxes.splice(0)) await outbox.close();
      await database?.drop();
      database = undefined;
    });
    async function open(): Promise<NotificationOutbox> {
      database ??= await postgres.createDatabase();
      const outbox = await openPostgresNotificationOutbox({ url: database.url });
      outboxes.push(outbox);
      return outbox;
    }

    test('two nodes starting at once on an empty database migrate it once', async () => {
      database = await postgres.createDatabase();
      const url = database.url;
      outboxes.push(...(await Promise.all([openPostgresNotificationOutbox({ url }), openPostgresNotificationOutbox({ url })])));
      const versions = await postgres.psql(
        "SELECT count(*) FROM schema_migrations WHERE component = 'notification-outbox'",
        database.name,
      );
      expect(versions.trim()).toBe('1');
    });

    test('200 messages claimed by two nodes at once are each delivered exactly once', async () => {
      const [a, b] = [await open(), await open()];
      expect(await a.add(Array.from({ length: 200 }, (_, i) => entryOf(i)))).toHaveLength(200);
      const delivered: { node: string; entry: OutboxEntry }[] = [];
      // Four senders per node, each claiming the next due message until none is left.
      const sender = async (outbox: NotificationOutbox, node: string) => {
        for (;;) {
          const entry = await outbox.claimNext('hook', node, T0, LEASE_MS);
          if (!entry) return;
          delivered.push({ node, entry });
          await outbox.markSent(entry.id, T0 + 1);
        }
      };
      await Promise.all([1, 2, 3, 4].flatMap((i) => [sender(a, `node-a-${i}`), sender(b, `node-b-${i}`)]));
      const ids = delivered.map((d) => d.entry.id);
      expect(ids).toHaveLength(200);
      expect(new Set(ids).size).toBe(200);
      expect(new Set(delivered.map((d) => d.node.slice(0, 6)))).toEqual(new Set(['node-a', 'node-b']));
      expect(await a.depths()).toEqual([]);
      expect((await b.list({ states: ['sent'], limit: 1000 })).every((e) => e.attempts === 1)).toBe(true);
    });

    test('a claim passes over a message another node is claiming at that moment instead of waiting for it', async () => {
      const outbox = await open();
      const [first, second] = await outbox.add([entryOf(1), entryOf(2)]);
      // Another node mid-claim: its transaction holds the oldest message's row lock.
      const other = new pg.Client({ connectionString: database!.url });
      clients.push(other);
      await other.connect();
      await other.query('BEGIN');
      await other.query('SELECT id FROM notify_outbox WHERE id = $1 FOR UPDATE', [first!.id]);
      expect(await outbox.claimNext('hook', 'node-b', T0, LEASE_MS)).toMatchObject({ id: second!.id, claimedBy: 'node-b' });
      expect(await outbox.claim(first!.id, 'node-b', T0, LEASE_MS)).toBe(false);
      await other.query('ROLLBACK');
      expect(await outbox.claim(first!.id, 'node-b', T0, LEASE_MS)).toBe(true);
    });

    test('a message claimed by a node that died is taken over by the other once the lease ran out', async () => {
      const [a, b] = [await open(), await open()];
      const [only] = await a.add([entryOf(1)]);
      expect(await a.claimNext('hook', 'node-a', T0, LEASE_MS)).toMatchObject({ id: only!.id, claimedBy: 'node-a' });
      await a.close();
      outboxes.splice(outboxes.indexOf(a), 1);
      // node-a is gone mid-send: while its lease holds, node-b leaves the message alone.
      expect(await b.claimNext('hook', 'node-b', T0 + 1_000, LEASE_MS)).toBeUndefined();
      expect(await b.inFlight('hook', T0 + LEASE_MS - 1)).toEqual([]);
      const [left] = await b.inFlight('hook', T0 + LEASE_MS);
      expect(left).toMatchObject({ id: only!.id, state: 'sending', claimedBy: 'node-a' });
      await b.markRetry(left!.id, T0 + LEASE_MS, 'the node sending it stopped');
      expect(await b.claimNext('hook', 'node-b', T0 + LEASE_MS, LEASE_MS)).toMatchObject({
        id: only!.id,
        claimedBy: 'node-b',
        attempts: 2,
      });
    });
  });
});
