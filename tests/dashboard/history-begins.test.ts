import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createCalendar } from '../../time/calendar.js';
import type { EventRecord } from '../../collector/store/event-store.js';
import { createSqliteEventStore, type SqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import { readHistoryBegins } from '../../dashboard/reports/circulation-report.js';

const TZ = 'Asia/Shanghai';
const calendar = createCalendar(TZ);

function loan(id: string, kioskId: string, localTime: string): EventRecord {
  const tsMs = Date.parse(`${localTime}+08:00`);
  const ts = new Date(tsMs).toISOString();
  return { id, kioskId, type: 'loan', ts, tsMs, receivedMs: tsMs, data: { id, ts, type: 'loan' } };
}

describe('where the history of a report scope begins', () => {
  let dir: string;
  let store: SqliteEventStore;
  const nowMs = Date.parse('2024-06-01T12:00:00+08:00');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-history-begins-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: TZ });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('nothing recorded: no beginning', async () => {
    expect(await readHistoryBegins(store, calendar, { kind: 'fleet' }, nowMs)).toBeNull();
  });

  test("the local day of the scope's first event, for the fleet and for one machine", async () => {
    // 2023-05-09 20:30 UTC is already the 10th in the fleet's zone.
    await store.append([loan('a', 'K-1', '2023-05-10T04:30:00'), loan('b', 'K-2', '2024-03-02T09:00:00')]);
    expect(await readHistoryBegins(store, calendar, { kind: 'fleet' }, nowMs)).toBe('2023-05-10');
    expect(await readHistoryBegins(store, calendar, { kind: 'kiosk', kioskId: 'K-2' }, nowMs)).toBe('2024-03-02');
    expect(await readHistoryBegins(store, calendar, { kind: 'district', district: 'D', kioskIds: ['K-1', 'K-2'] }, nowMs)).toBe(
      '2023-05-10',
    );
  });

  test('events deleted by retention still count where their figures are kept', async () => {
    await store.append([loan('a', 'K-1', '2023-05-10T04:30:00'), loan('b', 'K-1', '2024-03-02T09:00:00')]);
    const deleted = await store.applyRetention({
      telemetryRawBeforeMs: 0,
      telemetryHourlyBeforeMs: null,
      deadLettersBeforeMs: null,
      eventsBeforeMs: Date.parse('2024-01-01T00:00:00+08:00'),
    });
    expect(deleted.eventsDeleted).toBe(1);
    expect(await readHistoryBegins(store, calendar, { kind: 'fleet' }, nowMs)).toBe('2023-05-10');
    expect(await readHistoryBegins(store, calendar, { kind: 'kiosk', kioskId: 'K-1' }, nowMs)).toBe('2023-05-10');
  });
});
