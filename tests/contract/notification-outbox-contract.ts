import { afterEach, describe, expect, test } from 'vitest';
import type { AlertNoticeFacts, NotificationMessage } from '../../collector/domain/notification-rules.js';
import type { NewOutboxEntry, NotificationOutbox } from '../../collector/notify/notification-outbox.js';

/** Opens an empty outbox; `reopen` opens the same one again (a restart); `cleanup` closes and removes it. */
export type OpenOutbox = () => Promise<{
  outbox: NotificationOutbox;
  reopen(): Promise<NotificationOutbox>;
  cleanup(): Promise<void>;
}>;

const T0 = Date.parse('2026-11-22T00:30:00Z');
const HOUR = 3_600_000;

export const facts = (alertId: string, overrides: Partial<AlertNoticeFacts> = {}): AlertNoticeFacts => ({
  kind: 'opened',
  alertId,
  kioskId: alertId.replace(/^AL-/, ''),
  kioskName: `Machine ${alertId}`,
  district: '望京',
  component: 'rfid_reader',
  severity: 'critical',
  title: 'rfid reader: RFID_TIMEOUT',
  openedAtMs: T0,
  deadlineAtMs: T0 + 24 * HOUR,
  step: null,
  percent: null,
  by: null,
  atMs: T0,
  ...overrides,
});

const messageOf = (n: AlertNoticeFacts): NotificationMessage => ({
  source: 'alerts',
  id: `${n.alertId}|${n.kind}|`,
  kind: n.kind,
  step: n.step,
  percent: n.percent,
  district: n.district,
  severity: n.severity,
  notices: [n],
});

const entry = (channel: string, alertId: string, createdMs = T0, overrides: Partial<NewOutboxEntry> = {}): NewOutboxEntry => {
  const n = facts(alertId);
  return {
    channel,
    message: messageOf(n),
    groupKey: `opened||${n.district}`,
    noticeKeys: [`${alertId}|opened|`],
    alertIds: [alertId],
    createdMs,
    dueMs: createdMs,
    expiresMs: createdMs + 24 * HOUR,
    ...overrides,
  };
};

/** What every NotificationOutbox adapter must do: run against SQLite and PostgreSQL. */
export function describeNotificationOutboxContract(name: string, open: OpenOutbox): void {
  describe(`the notification outbox contract: ${name}`, () => {
    let opened: Awaited<ReturnType<OpenOutbox>> | undefined;
    const start = async () => {
      opened = await open();
      return opened.outbox;
    };
    afterEach(async () => {
      await opened?.cleanup();
      opened = undefined;
    });

    test('entries come back as recorded, oldest first per channel, each with its own stable key', async () => {
      const outbox = await start();
      const added = await outbox.add([entry('hook', 'AL-2', T0 + 1), entry('hook', 'AL-1', T0), entry('robot', 'AL-1', T0)]);
      expect(added.map((e) => [e.channel, e.state, e.attempts])).toEqual([
        ['hook', 'pending', 0],
        ['hook', 'pending', 0],
        ['robot', 'pending', 0],
      ]);
      expect(new Set(added.map((e) => e.key)).size).toBe(3);
      expect((await outbox.head('hook'))?.message).toEqual(messageOf(facts('AL-1')));
      expect(await outbox.get(added[0]!.id)).toEqual(added[0]);
    });

    test('a notice a channel already recorded is not recorded again, even after a reopen', async () => {
      const outbox = await start();
      expect(await outbox.add([entry('hook', 'AL-1')])).toHaveLength(1);
      expect(await outbox.add([entry('hook', 'AL-1')])).toHaveLength(0);
      expect(await outbox.add([entry('robot', 'AL-1')])).toHaveLength(1);
      const again = await opened!.reopen();
      expect(await again.add([entry('hook', 'AL-1')])).toHaveLength(0);
      expect(await again.add([entry('hook', 'AL-1', T0, { noticeKeys: [] })])).toHaveLength(1);
      expect((await outbox.list({ channel: 'hook', limit: 10 })).length).toBe(2);
    });

    test('the same notice recorded by two outboxes at once is stored once', async () => {
      const outbox = await start();
      const other = await opened!.reopen();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? outbox : other).add([entry('hook', `AL-${i % 10}`)])),
      );
      expect(results.reduce((n, added) => n + added.length, 0)).toBe(10);
      expect(await outbox.list({ channel: 'hook', limit: 100 })).toHaveLength(10);
    });

    test('a try: claimed, then sent, retried later or held; the key stays the same', async () => {
      const outbox = await start();
      const [a] = await outbox.add([entry('hook', 'AL-1')]);
      expect(await outbox.claim(a!.id, 'node-a', T0 + 10, 60_000)).toBe(true);
      expect(await outbox.claim(a!.id, 'node-b', T0 + 11, 60_000)).toBe(false);
      expect(await outbox.get(a!.id)).toMatchObject({ state: 'sending', claimedBy: 'node-a', leaseUntilMs: T0 + 60_010 });
      expect(await outbox.head('hook')).toBeUndefined();
      await outbox.markRetry(a!.id, T0 + 5_000, 'HTTP 503');
      expect(await outbox.head('hook')).toMatchObject({
        id: a!.id,
        key: a!.key,
        attempts: 1,
        dueMs: T0 + 5_000,
        lastError: 'HTTP 503',
      });
      expect(await outbox.claim(a!.id, 'node-a', T0 + 5_000, 60_000)).toBe(true);
      await outbox.markSent(a!.id, T0 + 5_100);
      expect(await outbox.get(a!.id)).toMatchObject({ state: 'sent', attempts: 2, doneMs: T0 + 5_100, key: a!.key });
      expect(await outbox.sentSince('hook', T0)).toEqual([T0 + 5_100]);
      expect(await outbox.depths()).toEqual([]);
    });

    test('a claim left by a sender that stopped shows as in flight only once its lease ran out', async () => {
      const outbox = await start();
      const [a] = await outbox.add([entry('hook', 'AL-1')]);
      expect(await outbox.claim(a!.id, 'node-a', T0, 60_000)).toBe(true);
      const other = await opened!.reopen();
      expect(await other.inFlight('hook', T0 + 59_999)).toEqual([]);
      expect((await other.inFlight('hook', T0 + 60_000)).map((e) => e.id)).toEqual([a!.id]);
    });

    test('the next due message is claimed oldest first; one not yet due or already claimed is not', async () => {
      const outbox = await start();
      const [a, b] = await outbox.add([entry('hook', 'AL-1', T0), entry('hook', 'AL-2', T0 + 1, { dueMs: T0 + 1_000 })]);
      expect(await outbox.claimNext('hook', 'node-a', T0 + 10, 60_000)).toMatchObject({
        id: a!.id,
        state: 'sending',
        attempts: 1,
      });
      expect(await outbox.claimNext('hook', 'node-b', T0 + 10, 60_000)).toBeUndefined();
      expect(await outbox.claimNext('hook', 'node-b', T0 + 1_000, 60_000)).toMatchObject({ id: b!.id, claimedBy: 'node-b' });
      expect(await outbox.claimNext('robot', 'node-b', T0 + 1_000, 60_000)).toBeUndefined();
    });

    test('held entries wait for a person: retried or given up, never by themselves', async () => {
      const outbox = await start();
      const [a, b] = await outbox.add([entry('robot', 'AL-1'), entry('robot', 'AL-2', T0 + 1)]);
      await outbox.claim(a!.id, 'node-a', T0, 60_000);
      await outbox.hold(a!.id, 'no answer; may have arrived');
      expect((await outbox.head('robot'))?.id).toBe(b!.id);
      expect(await outbox.depths()).toEqual([{ channel: 'robot', depth: 2, held: 1, oldestCreatedMs: T0 }]);
      expect(await outbox.giveUp(b!.id, 'li', T0 + 10)).toBe(true);
      expect(await outbox.giveUp(b!.id, 'li', T0 + 11)).toBe(false);
      expect(await outbox.retry(a!.id, 'wang', T0 + 20)).toBe(true);
      expect(await outbox.retry(a!.id, 'wang', T0 + 21)).toBe(false);
      expect(await outbox.head('robot')).toMatchObject({ id: a!.id, state: 'pending', dueMs: T0 + 20, doneBy: 'wang' });
      expect(await outbox.get(b!.id)).toMatchObject({ state: 'given_up', doneBy: 'li', doneMs: T0 + 10 });
    });

    test('entries past their expiry, pending or held, expire; sent ones stay sent', async () => {
      const outbox = await start();
      const [a, b, c] = await outbox.add([
        entry('hook', 'AL-1', T0, { expiresMs: T0 + HOUR }),
        entry('hook', 'AL-2', T0, { expiresMs: T0 + HOUR }),
        entry('hook', 'AL-3', T0, { expiresMs: T0 + 2 * HOUR }),
      ]);
      await outbox.claim(b!.id, 'node-a', T0, 60_000);
      await outbox.markSent(b!.id, T0 + 1);
      expect((await outbox.expire(T0 + HOUR)).map((e) => [e.id, e.state])).toEqual([[a!.id, 'expired']]);
      expect((await outbox.get(b!.id))?.state).toBe('sent');
      expect((await outbox.head('hook'))?.id).toBe(c!.id);
    });

    test('a digest replaces its entries, keeps the oldest creation time, and the alerts list it as their delivery', async () => {
      const outbox = await start();
      const [a, b, c] = await outbox.add([
        entry('hook', 'AL-1', T0),
        entry('hook', 'AL-2', T0 + 5),
        entry('hook', 'AL-3', T0 + 9),
      ]);
      expect((await outbox.pendingInGroup('hook', 'opened||望京')).map((e) => e.id)).toEqual([a!.id, b!.id, c!.id]);
      const notices = [facts('AL-1'), facts('AL-2')];
      const digest = await outbox.merge([a!.id, b!.id], {
        channel: 'hook',
        message: { ...messageOf(notices[0]!), id: 'digest', notices },
        groupKey: 'opened||望京',
        noticeKeys: [],
        alertIds: ['AL-1', 'AL-2'],
        createdMs: T0,
        dueMs: T0 + 20,
        expiresMs: T0 + 24 * HOUR,
      });
      expect(await outbox.get(a!.id)).toMatchObject({ state: 'merged', mergedInto: digest.id });
      expect((await outbox.head('hook'))?.id).toBe(digest.id);
      await outbox.claim(digest.id, 'node-a', T0 + 20, 60_000);
      await outbox.markSent(digest.id, T0 + 30);
      expect(await outbox.deliveriesOf('AL-2')).toEqual([
        {
          entryId: digest.id,
          channel: 'hook',
          kind: 'opened',
          step: null,
          state: 'sent',
          createdMs: T0,
          doneMs: T0 + 30,
          attempts: 1,
          lastError: null,
        },
      ]);
      await expect(outbox.merge([a!.id], { ...entry('hook', 'AL-1'), noticeKeys: [] })).rejects.toThrow(/not pending/);
      expect((await outbox.list({ channel: 'hook', limit: 10 })).map((e) => e.state).sort()).toEqual([
        'merged',
        'merged',
        'pending',
        'sent',
      ]);
    });

    test('finished entries are pruned after their time; waiting ones never', async () => {
      const outbox = await start();
      const [a, b] = await outbox.add([entry('hook', 'AL-1'), entry('hook', 'AL-2')]);
      await outbox.claim(a!.id, 'node-a', T0, 60_000);
      await outbox.markSent(a!.id, T0 + 1);
      expect(await outbox.prune(T0 + 1)).toBe(0);
      expect(await outbox.prune(T0 + 2)).toBe(1);
      expect(await outbox.get(a!.id)).toBeUndefined();
      expect((await outbox.get(b!.id))?.state).toBe('pending');
      expect(await outbox.deliveriesOf('AL-1')).toEqual([]);
    });

    test('one sender at a time: the lease is refused to others until it expires or is released', async () => {
      const outbox = await start();
      const other = await opened!.reopen();
      expect(await outbox.acquireLease('node-a', T0, 30_000)).toBe(true);
      expect(await other.acquireLease('node-b', T0 + 10_000, 30_000)).toBe(false);
      expect(await outbox.acquireLease('node-a', T0 + 20_000, 30_000)).toBe(true);
      expect(await other.acquireLease('node-b', T0 + 49_999, 30_000)).toBe(false);
      expect(await other.acquireLease('node-b', T0 + 50_000, 30_000)).toBe(true);
      expect(await outbox.acquireLease('node-a', T0 + 50_001, 30_000)).toBe(false);
      await other.releaseLease('node-b');
      expect(await outbox.acquireLease('node-a', T0 + 50_002, 30_000)).toBe(true);
    });

    test('the list filters by channel and state, newest first', async () => {
      const outbox = await start();
      const [a, , c] = await outbox.add([
        entry('hook', 'AL-1', T0),
        entry('robot', 'AL-2', T0 + 1),
        entry('hook', 'AL-3', T0 + 2),
      ]);
      await outbox.claim(a!.id, 'node-a', T0, 60_000);
      await outbox.hold(a!.id, 'refused');
      expect((await outbox.list({ channel: 'hook', limit: 10 })).map((e) => e.id)).toEqual([c!.id, a!.id]);
      expect((await outbox.list({ states: ['held'], limit: 10 })).map((e) => e.id)).toEqual([a!.id]);
      expect(await outbox.list({ limit: 1 })).toHaveLength(1);
    });
  });
}
