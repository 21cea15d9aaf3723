import { afterEach, describe, expect, test } from 'vitest';
import type { AuditLog, AuditRecord } from '../../dashboard/auth/audit-log.js';

/** Opens an empty audit log; `cleanup` closes it and removes what it left. */
export type OpenAuditLog = () => Promise<{ log: AuditLog; cleanup(): Promise<void> }>;

const T0 = Date.parse('2026-11-01T08:00:00Z');

function entry(i: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    atMs: T0 + i * 60_000,
    actor: i % 2 === 0 ? 'wang' : 'li',
    role: 'operator',
    action: i % 3 === 0 ? 'kiosk.pause' : 'alert.ack',
    target: `CY-00${i}`,
    address: '127.0.0.1',
    outcome: 'ok',
    detail: `{"status":200,"n":${i}}`,
    ...overrides,
  };
}

const atOf = (ms: number) => new Date(ms).toISOString();

/** Behaviour every AuditLog adapter must show; each test opens its own empty log. */
export function describeAuditLogContract(name: string, openLog: OpenAuditLog): void {
  describe(`AuditLog contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    async function open(): Promise<AuditLog> {
      const { log, cleanup } = await openLog();
      cleanups.push(cleanup);
      return log;
    }

    test('a query right after recording sees the entries, newest first, exactly as recorded', async () => {
      const log = await open();
      const denied = entry(1, { role: null, target: null, address: null, outcome: 'denied', detail: null, actor: '访客' });
      log.record(entry(0));
      log.record(denied);

      const { atMs: _first, ...first } = entry(0);
      const { atMs: _second, ...second } = denied;
      expect(await log.query({ limit: 10 })).toEqual([
        { at: atOf(denied.atMs), ...second },
        { at: atOf(entry(0).atMs), ...first },
      ]);
    });

    test('entries keep the order they were recorded in, even when their times are not in order', async () => {
      const log = await open();
      log.record(entry(5, { target: 'recorded-first' }));
      log.record(entry(1, { target: 'recorded-second' }));

      expect((await log.query({ limit: 10 })).map((e) => e.target)).toEqual(['recorded-second', 'recorded-first']);
    });

    test.each([
      ['a window (from inclusive, to exclusive)', { fromMs: T0 + 2 * 60_000, toMs: T0 + 5 * 60_000 }, [4, 3, 2]],
      ['an actor', { actor: 'li' }, [9, 7, 5, 3, 1]],
      ['an action', { action: 'kiosk.pause' }, [9, 6, 3, 0]],
      ['an actor and an action', { actor: 'wang', action: 'kiosk.pause' }, [6, 0]],
      ['a limit', { limit: 3 }, [9, 8, 7]],
      ['an actor nobody is', { actor: 'zhao' }, []],
    ])('filtered by %s, only those come back', async (_, filters, expected) => {
      const log = await open();
      for (let i = 0; i < 10; i++) log.record(entry(i));

      const entries = await log.query({ limit: 100, ...filters });
      expect(entries.map((e) => e.target)).toEqual(expected.map((i) => `CY-00${i}`));
    });
  });
}
