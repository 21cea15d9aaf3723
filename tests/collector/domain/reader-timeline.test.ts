import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import { fitExpectedActivity, HOUR_MS, type HourObservation } from '../../../collector/domain/expected-activity.js';
import { downtimeOf, estimateLost, estimateLostByPeriod } from '../../../collector/domain/lost-transactions.js';
import { readerTimeline } from '../../../collector/domain/reader-timeline.js';
import { readerUptimeOf, sumReaderUptime } from '../../../collector/domain/reader-uptime.js';
import { at, type Body, cleared, context, fault, lifecycle, ms, online, sorted } from './health-fixtures.js';

const notLending = (since: string): Body => ({ type: 'kiosk_not_lending', since, expected: 12, seen: 0, probability: 1e-5 });
const resumed = (): Body => ({ type: 'kiosk_lending_resumed', reason: 'activity' });
const view = (i: { availability: string; state: string; fromMs: number; toMs: number }) =>
  `${i.availability}/${i.state} ${new Date(i.fromMs).toISOString().slice(11, 16)}–${new Date(i.toMs).toISOString().slice(11, 16)}`;

describe('reader timeline', () => {
  test('a silent failure counts from the start of its evidence, not from when it was noticed', () => {
    const entries = sorted([
      at('2026-03-02T00:00:00Z', online('b1')),
      at('2026-03-02T06:00:00Z', notLending('2026-03-02T02:00:00Z')),
      at('2026-03-02T09:00:00Z', resumed()),
    ]);
    const timeline = readerTimeline(entries, context(), ms('2026-03-02T12:00:00Z'));
    expect(timeline.map(view)).toEqual([
      'lending/in_service 00:00–02:00',
      'closed/in_service 02:00–09:00',
      'lending/in_service 09:00–12:00',
    ]);
    expect(downtimeOf(timeline)).toEqual([
      { fromMs: ms('2026-03-02T02:00:00Z'), toMs: ms('2026-03-02T09:00:00Z'), cause: 'not_lending' },
    ]);
  });

  test('the evidence is not moved back over time the machine was already out of service', () => {
    const entries = sorted([
      at('2026-03-02T00:00:00Z', online('b1')),
      at('2026-03-02T01:00:00Z', fault('f1', 'rfid_reader')),
      at('2026-03-02T03:00:00Z', cleared('f1')),
      at('2026-03-02T06:00:00Z', notLending('2026-03-02T00:30:00Z')),
    ]);
    const timeline = readerTimeline(entries, context(), ms('2026-03-02T08:00:00Z'));
    expect(timeline.map(view)).toEqual([
      'lending/in_service 00:00–01:00',
      'closed/out_of_service 01:00–03:00',
      'closed/in_service 03:00–08:00',
    ]);
    expect(downtimeOf(timeline).map((d) => d.cause)).toEqual(['out_of_service', 'not_lending']);
  });

  test('a jammed shelf leaves returns working; paused time is downtime, and counts for nothing in reader availability', () => {
    const entries = sorted([
      at('2026-03-02T00:00:00Z', online('b1')),
      at('2026-03-02T02:00:00Z', fault('f1', 'shelf_mechanism')),
      at('2026-03-02T03:00:00Z', cleared('f1')),
      at('2026-03-02T04:00:00Z', lifecycle('paused')),
    ]);
    const timeline = readerTimeline(entries, context(), ms('2026-03-02T06:00:00Z'));
    expect(timeline.map((i) => i.availability)).toEqual(['lending', 'returns_only', 'lending', 'closed']);
    expect(downtimeOf(timeline).map((d) => d.cause)).toEqual(['out_of_service', 'paused']);
    const figures = readerUptimeOf(timeline, ms('2026-03-02T00:00:00Z'), ms('2026-03-02T06:00:00Z'));
    // Four hours expected in service (paused time is not); three lending, one returns only.
    expect(figures).toEqual({
      expectedMs: 4 * HOUR_MS,
      lendingMs: 3 * HOUR_MS,
      returnsOnlyMs: HOUR_MS,
      readerAvailabilityRatio: 0.75,
      returnsOnlyRatio: 0.25,
    });
  });

  test('reader availability is below the technical uptime by the time a machine was in service but not lending', () => {
    const entries = sorted([
      at('2026-03-02T00:00:00Z', online('b1')),
      at('2026-03-02T06:00:00Z', notLending('2026-03-02T04:00:00Z')),
    ]);
    const timeline = readerTimeline(entries, context(), ms('2026-03-02T08:00:00Z'));
    const one = readerUptimeOf(timeline, ms('2026-03-02T00:00:00Z'), ms('2026-03-02T08:00:00Z'));
    expect(one.readerAvailabilityRatio).toBe(0.5);
    expect(sumReaderUptime([one, one]).readerAvailabilityRatio).toBe(0.5);
    expect(sumReaderUptime([]).readerAvailabilityRatio).toBeNull();
  });
});

describe('lost transactions per month', () => {
  const calendar = createCalendar('Asia/Shanghai');
  const start = ms('2026-03-01T00:00:00+08:00');
  // Four weeks of a steady machine: two transactions an hour, every hour.
  const hours: HourObservation[] = Array.from({ length: 28 * 24 }, (_, i) => ({
    startMs: start + i * HOUR_MS,
    count: 2,
    availableRatio: 1,
  }));
  const model = fitExpectedActivity(hours, calendar);
  if (model.kind !== 'model') throw new Error(model.reason);

  test('each month gets the downtime inside it; the total is one estimate over all of it', () => {
    const april = ms('2026-04-01T00:00:00+08:00');
    const downtime = [{ fromMs: april - 3 * HOUR_MS, toMs: april + 5 * HOUR_MS, cause: 'offline' as const }];
    const { byPeriod, total } = estimateLostByPeriod(model, downtime, [
      { period: '2026-03', fromMs: start, toMs: april },
      { period: '2026-04', fromMs: april, toMs: ms('2026-05-01T00:00:00+08:00') },
    ]);
    expect(byPeriod.map((p) => p.period)).toEqual(['2026-03', '2026-04']);
    expect(byPeriod[0]!.expected).toBeCloseTo(3 * model.ratePerHour(april - HOUR_MS), 6);
    expect(byPeriod[1]!.downtimeMs).toBe(5 * HOUR_MS);
    expect(total.expected).toBeCloseTo(byPeriod[0]!.expected + byPeriod[1]!.expected, 9);
    expect(total).toEqual(estimateLost(model, downtime, start, ms('2026-05-01T00:00:00+08:00')));
  });

  test('no months, no estimate', () => {
    expect(estimateLostByPeriod(model, [], []).total.expected).toBe(0);
  });
});
