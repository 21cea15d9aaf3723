import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import { serviceTimeline } from '../../../collector/domain/service-state.js';
import { parseTimeWindow, sumUptime, uptimeOf } from '../../../collector/domain/uptime.js';
import { at, context, fault, cleared, maintenance, ms, offline, online, sorted } from './health-fixtures.js';

const calendar = createCalendar('Asia/Shanghai');
const HOUR = 3_600_000;

describe('time windows', () => {
  const now = ms('2026-11-22T12:00:00+08:00');
  test.each([
    ['24h', '2026-11-21T04:00:00.000Z', '2026-11-22T04:00:00.000Z'],
    ['7d', '2026-11-15T04:00:00.000Z', '2026-11-22T04:00:00.000Z'],
    ['30d', '2026-10-23T04:00:00.000Z', '2026-11-22T04:00:00.000Z'],
    ['2026-11', '2026-10-31T16:00:00.000Z', '2026-11-30T16:00:00.000Z'],
    ['2026-12', '2026-11-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z'],
    ['2025', '2024-12-31T16:00:00.000Z', '2025-12-31T16:00:00.000Z'],
  ])('%s in Asia/Shanghai is [%s, %s)', (spec, from, to) => {
    const window = parseTimeWindow(spec, now, calendar)!;
    expect([new Date(window.fromMs).toISOString(), new Date(window.toMs).toISOString()]).toEqual([from, to]);
    expect(window.countedToMs).toBe(Math.max(window.fromMs, Math.min(window.toMs, now)));
  });

  test.each(['1h', '2026-13', '2026-1', 'yesterday', ''])('%j is not a window', (spec) => {
    expect(parseTimeWindow(spec, now, calendar)).toBeNull();
  });
});

describe('time-weighted uptime', () => {
  const day = (hhmm: string) => `2026-11-10T${hhmm}:00+08:00`;

  test('in service and degraded are available; out of service and offline count against; degraded is reported apart', () => {
    const timeline = serviceTimeline(
      sorted([
        at(day('00:00'), online('b1')),
        at(day('06:00'), fault('f1', 'receipt_printer', 'major', false)), // degraded 6 h
        at(day('12:00'), cleared('f1')),
        at(day('14:00'), fault('f2', 'rfid_reader', 'critical', true)), // out of service 2 h
        at(day('16:00'), cleared('f2')),
        at(day('20:00'), offline('b1')), // offline 4 h
      ]),
      context(),
      ms('2026-11-11T00:00:00+08:00'),
    );
    const figures = uptimeOf(timeline, ms(day('00:00')), ms('2026-11-11T00:00:00+08:00'));
    expect(figures).toMatchObject({ expectedMs: 24 * HOUR, availableMs: 18 * HOUR, uptimeRatio: 0.75, degradedRatio: 0.25 });
    expect(figures.byStateMs).toMatchObject({
      in_service: 12 * HOUR,
      degraded: 6 * HOUR,
      out_of_service: 2 * HOUR,
      offline: 4 * HOUR,
    });
  });

  test('planned maintenance, platform outages and time before the first status are not expected time', () => {
    const timeline = serviceTimeline(
      sorted([at(day('02:00'), online('b1')), at(day('01:00'), maintenance(day('04:00'), day('08:00')))]),
      context([{ fromMs: ms(day('10:00')), toMs: ms(day('12:00')) }]),
      ms(day('00:00')) + 24 * HOUR,
    );
    const figures = uptimeOf(timeline, ms(day('00:00')), ms(day('00:00')) + 24 * HOUR);
    expect(figures.byStateMs).toMatchObject({ unknown: 4 * HOUR, maintenance: 4 * HOUR, in_service: 16 * HOUR });
    expect(figures.uptimeRatio).toBe(1);
  });

  test('a maintenance window across a month boundary is excluded from each month for its own part', () => {
    const entries = sorted([
      at('2026-10-01T00:00:00+08:00', online('b1')),
      at('2026-10-01T00:00:00+08:00', maintenance('2026-10-31T18:00:00+08:00', '2026-11-01T06:00:00+08:00')),
      at('2026-11-15T00:00:00+08:00', offline('b1')),
    ]);
    const now = ms('2026-11-15T12:00:00+08:00');
    const timeline = serviceTimeline(entries, context(), now);
    const october = parseTimeWindow('2026-10', now, calendar)!;
    const november = parseTimeWindow('2026-11', now, calendar)!;
    const oct = uptimeOf(timeline, october.fromMs, october.countedToMs);
    const nov = uptimeOf(timeline, november.fromMs, november.countedToMs);
    expect(oct.byStateMs.maintenance).toBe(6 * HOUR);
    expect(nov.byStateMs.maintenance).toBe(6 * HOUR);
    expect(oct.uptimeRatio).toBe(1);
    // 14 days 12 h counted in November so far: 6 h maintenance, 12 h offline.
    expect(nov.expectedMs).toBe(14.5 * 24 * HOUR - 6 * HOUR);
    expect(nov.byStateMs.offline).toBe(12 * HOUR);
  });

  test('the fleet figure weighs machines by their expected time', () => {
    const a = uptimeOf(
      [
        { state: 'in_service', fromMs: 0, toMs: 9 * HOUR },
        { state: 'offline', fromMs: 9 * HOUR, toMs: 10 * HOUR },
      ],
      0,
      10 * HOUR,
    );
    const b = uptimeOf(
      [
        { state: 'in_service', fromMs: 0, toMs: 1 * HOUR },
        { state: 'withdrawn', fromMs: 1 * HOUR, toMs: 10 * HOUR },
      ],
      0,
      10 * HOUR,
    );
    expect(a.uptimeRatio).toBe(0.9);
    expect(b.uptimeRatio).toBe(1);
    expect(sumUptime([a, b])).toMatchObject({ expectedMs: 11 * HOUR, availableMs: 10 * HOUR });
  });

  test('nothing expected gives no ratio rather than 0 or 100 %', () => {
    expect(uptimeOf([], 0, HOUR)).toMatchObject({ uptimeRatio: null, degradedRatio: null, expectedMs: 0 });
  });
});
