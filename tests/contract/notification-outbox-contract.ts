import { afterEach, describe, expect, test } from 'vitest';
import type { AlertNoticeFacts, NotificationMessage } from '../../collector/domain/notification-rules.js';
import type { NewOutboxEntry, NotificationOutbox } from '../../collector/notify/notification-outbox.js';

/** Opens an empty outbox; `reopen` opens the same one again (a restart); `cleanup` closes and removes it. */
export type OpenOutbox = () => Promise<{ outbox: NotificationOutbox; reopen(): NotificationOutbox; cleanup(): Promise<void> }>;

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

/** What every NotificationOutbox adapter must do: run it against each (SQLite now, PostgreSQL later). */
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
      const added = outbox.add([entry('hook', 'AL-2', T0 + 1), entry('hook', 'AL-1', T0), entry('robot', 'AL-1', T0)]);
      expect(added.map((e) => [e.channel, e.state, e.attempts])).toEqual([
        ['hook', 'pending', 0],
        ['hook', 'pending', 0],
        ['robot', 'pending', 0],
      ]);
      expect(new Set(added.map((e) => e.key)).size).toBe(3);
      expect(outbox.head('hook')?.message).toEqual(messageOf(facts('AL-1')));
      expect(outbox.get(added[0]!.id)).toEqual(added[0]);
    });

    test('a notice a channel already recorded is not recorded again, even after a reopen', async () => {
      const outbox = await start();
      expect(outbox.add([entry('hook', 'AL-1')])).toHaveLength(1);
      expect(outbox.add([entry('hook', 'AL-1')])).toHaveLength(0);
      expect(outbox.add([entry('robot', 'AL-1')])).toHaveLength(1);
      const again = opened!.reopen();
      expect(again.add([entry('hook', 'AL-1')])).toHaveLength(0);
      expect(again.add([entry('hook', 'AL-1', T0, { noticeKeys: [] })])).toHaveLength(1);
    });

    test('a try: sending, then sent, retried later or held; the key stays the same', async () => {
      const outbox = await start();
      const [a] = outbox.add([entry('hook', 'AL-1')]);
      outbox.markSending(a!.id, T0 + 10);
      expect(outbox.head('hook')).toBeUndefined();
      expect(outbox.inFlight('hook').map((e) => e.id)).toEqual([a!.id]);
      outbox.markRetry(a!.id, T0 + 5_000, 'HTTP 503');
      expect(outbox.head('hook')).toMatchObject({
        id: a!.id,
        key: a!.key,
        attempts: 1,
        dueMs: T0 + 5_000,
        lastError: 'HTTP 503',
      });
      outbox.markSending(a!.id, T0 + 5_000);
      outbox.markSent(a!.id, T0 + 5_100);
      expect(outbox.get(a!.id)).toMatchObject({ state: 'sent', attempts: 2, doneMs: T0 + 5_100, key: a!.key });
      expect(outbox.sentSince('hook', T0)).toEqual([T0 + 5_100]);
      expect(outbox.depths()).toEqual([]);
    });

    test('held entries wait for a person: retried or given up, never by themselves', async () => {
      const outbox = await start();
      const [a, b] = outbox.add([entry('robot', 'AL-1'), entry('robot', 'AL-2', T0 + 1)]);
      outbox.markSending(a!.id, T0);
      outbox.hold(a!.id, 'no answer; may have arrived');
      expect(outbox.head('robot')?.id).toBe(b!.id);
      expect(outbox.depths()).toEqual([{ channel: 'robot', depth: 2, held: 1, oldestCreatedMs: T0 }]);
      expect(outbox.giveUp(b!.id, 'li', T0 + 10)).toBe(true);
      expect(outbox.giveUp(b!.id, 'li', T0 + 11)).toBe(false);
      expect(outbox.retry(a!.id, 'wang', T0 + 20)).toBe(true);
      expect(outbox.retry(a!.id, 'wang', T0 + 21)).toBe(false);
      expect(outbox.head('robot')).toMatchObject({ id: a!.id, state: 'pending', dueMs: T0 + 20, doneBy: 'wang' });
      expect(outbox.get(b!.id)).toMatchObject({ state: 'given_up', doneBy: 'li', doneMs: T0 + 10 });
    });

    test('entries past their expiry, pending or held, expire; sent ones stay sent', async () => {
      const outbox = await start();
      const [a, b, c] = outbox.add([
        entry('hook', 'AL-1', T0, { expiresMs: T0 + HOUR }),
        entry('hook', 'AL-2', T0, { expiresMs: T0 + HOUR }),
        entry('hook', 'AL-3', T0, { expiresMs: T0 + 2 * HOUR }),
      ]);
      outbox.markSending(b!.id, T0);
      outbox.markSent(b!.id, T0 + 1);
      expect(outbox.expire(T0 + HOUR).map((e) => [e.id, e.state])).toEqual([[a!.id, 'expired']]);
      expect(outbox.get(b!.id)?.state).toBe('sent');
      expect(outbox.head('hook')?.id).toBe(c!.id);
    });

    test('a digest replaces its entries, keeps the oldest creation time, and the alerts list it as their delivery', async () => {
      const outbox = await start();
      const [a, b, c] = outbox.add([entry('hook', 'AL-1', T0), entry('hook', 'AL-2', T0 + 5), entry('hook', 'AL-3', T0 + 9)]);
      expect(outbox.pendingInGroup('hook', 'opened||望京').map((e) => e.id)).toEqual([a!.id, b!.id, c!.id]);
      const notices = [facts('AL-1'), facts('AL-2')];
      const digest = outbox.merge([a!.id, b!.id], {
        channel: 'hook',
        message: { ...messageOf(notices[0]!), id: 'digest', notices },
        groupKey: 'opened||望京',
        noticeKeys: [],
        alertIds: ['AL-1', 'AL-2'],
        createdMs: T0,
        dueMs: T0 + 20,
        expiresMs: T0 + 24 * HOUR,
      });
      expect(outbox.get(a!.id)).toMatchObject({ state: 'merged', mergedInto: digest.id });
      expect(outbox.head('hook')?.id).toBe(digest.id);
      outbox.markSending(digest.id, T0 + 20);
      outbox.markSent(digest.id, T0 + 30);
      expect(outbox.deliveriesOf('AL-2')).toEqual([
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
      expect(() => outbox.merge([a!.id], { ...entry('hook', 'AL-1'), noticeKeys: [] })).toThrow(/not pending/);
    });

    test('finished entries are pruned after their time; waiting ones never', async () => {
      const outbox = await start();
      const [a, b] = outbox.add([entry('hook', 'AL-1'), entry('hook', 'AL-2')]);
      outbox.markSending(a!.id, T0);
      outbox.markSent(a!.id, T0 + 1);
      expect(outbox.prune(T0 + 1)).toBe(0);
      expect(outbox.prune(T0 + 2)).toBe(1);
      expect(outbox.get(a!.id)).toBeUndefined();
      expect(outbox.get(b!.id)?.state).toBe('pending');
      expect(outbox.deliveriesOf('AL-1')).toEqual([]);
    });

    test('one sender at a time: the lease is refused to others until it expires or is released', async () => {
      const outbox = await start();
      const other = opened!.reopen();
      expect(outbox.acquireLease('node-a', T0, 30_000)).toBe(true);
      expect(other.acquireLease('node-b', T0 + 10_000, 30_000)).toBe(false);
      expect(outbox.acquireLease('node-a', T0 + 20_000, 30_000)).toBe(true);
      expect(other.acquireLease('node-b', T0 + 49_999, 30_000)).toBe(false);
      expect(other.acquireLease('node-b', T0 + 50_000, 30_000)).toBe(true);
      expect(outbox.acquireLease('node-a', T0 + 50_001, 30_000)).toBe(false);
      other.releaseLease('node-b');
      expect(outbox.acquireLease('node-a', T0 + 50_002, 30_000)).toBe(true);
    });

    test('the list filters by channel and state, newest first', async () => {
      const outbox = await start();
      const [a, , c] = outbox.add([entry('hook', 'AL-1', T0), entry('robot', 'AL-2', T0 + 1), entry('hook', 'AL-3', T0 + 2)]);
      outbox.markSending(a!.id, T0);
      outbox.hold(a!.id, 'refused');
      expect(outbox.list({ channel: 'hook', limit: 10 }).map((e) => e.id)).toEqual([c!.id, a!.id]);
      expect(outbox.list({ states: ['held'], limit: 10 }).map((e) => e.id)).toEqual([a!.id]);
      expect(outbox.list({ limit: 1 })).toHaveLength(1);
    });
  });
}
