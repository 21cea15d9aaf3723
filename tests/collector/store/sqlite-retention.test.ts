import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type RetentionPolicy, retentionCutoffs } from '../../../collector/domain/retention-policy.js';
import type { EventRecord } from '../../../collector/store/event-store.js';
import { createSqliteEventStore, type SqliteEventStore } from '../../../collector/store/sqlite-event-store.js';
import { foldHour } from '../../../collector/store/sqlite-retention.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function loan(id: string, tsMs: number): EventRecord {
  const ts = new Date(tsMs).toISOString();
  return { id, kioskId: 'CY-001', type: 'loan', ts, tsMs, receivedMs: tsMs, data: { id, ts, type: 'loan' } };
}

const KEEP_ALL: RetentionPolicy = { telemetryRawDays: 14, telemetryHourlyDays: null, deadLetterDays: null, eventDays: null };

describe('retention cutoffs', () => {
  test.each<[string, RetentionPolicy, ReturnType<typeof retentionCutoffs>]>([
    [
      'the defaults: 14 raw days, 730 hourly, 90 for dead letters, events for ever',
      { telemetryRawDays: 14, telemetryHourlyDays: 730, deadLetterDays: 90, eventDays: null },
      {
        telemetryRawBeforeMs: T0 - 14 * DAY,
        telemetryHourlyBeforeMs: T0 + 30 * 60_000 - 730 * DAY,
        deadLettersBeforeMs: T0 + 30 * 60_000 - 90 * DAY,
        eventsBeforeMs: null,
      },
    ],
    [
      'events kept a year when set',
      { telemetryRawDays: 1, telemetryHourlyDays: null, deadLetterDays: null, eventDays: 365 },
      {
        telemetryRawBeforeMs: T0 - DAY,
        telemetryHourlyBeforeMs: null,
        deadLettersBeforeMs: null,
        eventsBeforeMs: T0 + 30 * 60_000 - 365 * DAY,
      },
    ],
  ])('%s (raw telemetry cut at a whole hour)', (_what, policy, expected) => {
    expect(retentionCutoffs(policy, T0 + 30 * 60_000)).toEqual(expected);
  });
});

describe('an hour of telemetry folded into its means', () => {
  test.each<
    [
      string,
      Record<string, number>[],
      { samples: number; readings: Record<string, number> } | undefined,
      { samples: number; readings: Record<string, number> },
    ]
  >([
    [
      'each reading is the mean of the samples that carry it',
      [{ t: 20, b: 10 }, { t: 22 }, { t: 24, b: 30 }],
      undefined,
      { samples: 3, readings: { t: 22, b: 20 } },
    ],
    [
      'a late sample joins the hour folded earlier, weighted by its samples',
      [{ t: 30 }],
      { samples: 3, readings: { t: 20 } },
      { samples: 4, readings: { t: 22.5 } },
    ],
    ['means are kept to three decimals', [{ t: 1 }, { t: 1 }, { t: 2 }], undefined, { samples: 3, readings: { t: 1.333 } }],
  ])('%s', (_what, samples, earlier, expected) => {
    expect(foldHour(samples, earlier)).toEqual(expected);
  });
});

describe('retention in the SQLite store', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-retention-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: 'UTC' });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('telemetry past its raw days reads back as hourly means stamped at the hour; newer stays as sent', async () => {
    // Every 10 minutes for 3 hours; readings rise by one each sample.
    await store.appendTelemetry(
      Array.from({ length: 18 }, (_, i) => ({ kioskId: 'CY-001', tsMs: T0 + i * 600_000, readings: { temperatureC: i } })),
    );
    const totals = await store.applyRetention({
      ...retentionCutoffs(KEEP_ALL, 0),
      telemetryRawBeforeMs: T0 + 2 * HOUR + 30 * 60_000,
    });
    expect(totals.telemetryDownsampled).toBe(12);
    const read = await store.readTelemetry({ kioskId: 'CY-001', limit: 100 });
    expect(read.map((r) => [r.tsMs - T0, r.readings.temperatureC])).toEqual([
      ...[17, 16, 15, 14, 13, 12].map((i) => [i * 600_000, i]),
      [HOUR, 8.5],
      [0, 2.5],
    ]);
    // Run again: nothing more to do.
    expect(
      (await store.applyRetention({ ...retentionCutoffs(KEEP_ALL, 0), telemetryRawBeforeMs: T0 + 2 * HOUR }))
        .telemetryDownsampled,
    ).toBe(0);
  });

  test('events are kept for ever by default, and their counts whatever is deleted', async () => {
    await store.append([loan('old', T0), loan('new', T0 + 400 * DAY)]);
    const cutoffs = retentionCutoffs(
      { telemetryRawDays: 1, telemetryHourlyDays: 1, deadLetterDays: 1, eventDays: null },
      T0 + 500 * DAY,
    );
    expect((await store.applyRetention(cutoffs)).eventsDeleted).toBe(0);
    expect((await store.readEvents({})).map((e) => e.id)).toEqual(['old', 'new']);

    expect((await store.applyRetention({ ...cutoffs, eventsBeforeMs: T0 + DAY })).eventsDeleted).toBe(1);
    expect((await store.readEvents({})).map((e) => e.id)).toEqual(['new']);
    const counts = await store.countByPeriod({ granularity: 'month', fromDay: '2026-01-01', toDay: '2028-01-01' });
    expect(counts.map((c) => [c.period, c.count])).toEqual([
      ['2026-01', 1],
      ['2027-02', 1],
    ]);
  });

  test('dead letters and hourly telemetry past their days are deleted, in steps, newer ones kept', async () => {
    await store.appendDeadLetters(
      Array.from({ length: 12_000 }, (_, i) => ({
        receivedMs: T0 + i * 1000,
        topic: 'kiosks/x/events',
        reason: 'invalid_json',
        detail: '',
        payloadExcerpt: '',
      })),
    );
    await store.appendTelemetry([0, 1, 2].map((d) => ({ kioskId: 'CY-001', tsMs: T0 + d * DAY, readings: { paperPercent: d } })));
    const cutoffs = {
      telemetryRawBeforeMs: T0 + 3 * DAY,
      telemetryHourlyBeforeMs: T0 + DAY,
      deadLettersBeforeMs: T0 + 11_000 * 1000,
      eventsBeforeMs: null,
    };
    const totals = await store.applyRetention(cutoffs);
    expect(totals).toEqual({ telemetryDownsampled: 3, telemetryHourlyDeleted: 1, deadLettersDeleted: 11_000, eventsDeleted: 0 });
    expect(await store.countDeadLetters()).toBe(1_000);
    expect((await store.readTelemetry({ kioskId: 'CY-001' })).map((r) => r.readings.paperPercent)).toEqual([2, 1]);
  });
});
