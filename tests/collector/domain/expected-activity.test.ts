import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import {
  fitExpectedActivity,
  HOUR_MS,
  hourObservations,
  type HourObservation,
  localSlotOf,
} from '../../../collector/domain/expected-activity.js';

const calendar = createCalendar('Asia/Shanghai');
const DAY_MS = 86_400_000;
/** A Sunday, local midnight in Asia/Shanghai. */
const SUNDAY = Date.parse('2026-03-01T00:00:00+08:00');

/** `weeks` of history where each local hour sees `rateOf(localHour, weekday)` transactions. */
function history(weeks: number, rateOf: (hour: number, weekday: number, startMs: number) => number, fromMs = SUNDAY) {
  const hours: HourObservation[] = [];
  for (let startMs = fromMs; startMs < fromMs + weeks * 7 * DAY_MS; startMs += HOUR_MS) {
    const { hourOfWeek } = localSlotOf(calendar, startMs);
    hours.push({ startMs, count: rateOf(hourOfWeek % 24, Math.floor(hourOfWeek / 24), startMs), availableRatio: 1 });
  }
  return hours;
}

describe('expected activity', () => {
  test.each([
    ['Sunday 03 h', '2026-05-03T03:30:00+08:00', 0],
    ['Sunday 18 h', '2026-05-03T18:30:00+08:00', 4],
    ['Wednesday 18 h', '2026-05-06T18:30:00+08:00', 2],
    ['Wednesday 10 h', '2026-05-06T10:00:00+08:00', 1],
  ])('a steady machine is expected at its own rate for the hour of the week: %s', (_name, at, rate) => {
    const hours = history(8, (hour, weekday) => (hour < 7 ? 0 : hour === 18 ? (weekday === 0 ? 4 : 2) : 1));
    const model = fitExpectedActivity(hours, calendar);
    if (model.kind !== 'model') throw new Error(model.reason);
    // A slot's own eight hours are blended with eight of "hour of day × day of week": within 20 %.
    expect(Math.abs(model.ratePerHour(Date.parse(at)) - rate)).toBeLessThanOrEqual(rate * 0.2);
  });

  test('a recent rise in activity raises the expectation (trend)', () => {
    const hours = history(8, (hour, _weekday, startMs) => (hour < 7 ? 0 : startMs >= SUNDAY + 5 * 7 * DAY_MS ? 2 : 1));
    const model = fitExpectedActivity(hours, calendar);
    if (model.kind !== 'model') throw new Error(model.reason);
    expect(model.trendRatio).toBeGreaterThan(1.3);
    expect(model.ratePerHour(Date.parse('2026-04-26T12:00:00+08:00'))).toBeCloseTo(2, 0);
  });

  test('with every month of a year in its history, the season sets each month apart', () => {
    const june = (startMs: number) => calendar.monthOf(startMs).endsWith('-06');
    const hours = history(
      53,
      (hour, _weekday, startMs) => (hour < 7 ? 0 : june(startMs) ? 2 : 1),
      Date.parse('2025-01-05T00:00:00+08:00'),
    );
    const model = fitExpectedActivity(hours, calendar);
    if (model.kind !== 'model') throw new Error(model.reason);
    expect(model.seasonRatios).not.toBeNull();
    expect(model.seasonRatios![5]! / model.seasonRatios![2]!).toBeCloseTo(2, 1);
  });

  test.each([
    ['a week of history', 1, () => 1, /h of history/],
    ['two quiet months', 8, () => 0, /loans and returns/],
  ])('%s says there is too little history instead of guessing', (_name, weeks, rate, reason) => {
    const model = fitExpectedActivity(history(weeks, rate), calendar);
    expect(model.kind).toBe('insufficient_history');
    expect(model.kind === 'insufficient_history' && model.reason).toMatch(reason);
  });

  test('time the machine was not available teaches nothing: transactions then are not counted', () => {
    const from = Date.parse('2026-03-01T10:00:00+08:00');
    const hours = hourObservations(
      [from + 10 * 60_000, from + 70 * 60_000, from + 130 * 60_000],
      [{ fromMs: from, toMs: from + HOUR_MS + 30 * 60_000 }],
      from,
      from + 3 * HOUR_MS,
    );
    expect(hours).toEqual([
      { startMs: from, count: 1, availableRatio: 1 },
      { startMs: from + HOUR_MS, count: 1, availableRatio: 0.5 },
    ]);
  });
});
