import { describe, expect, test } from 'vitest';
import { createCalendar, nextDay } from '../../time/calendar.js';
import {
  addIsoWeeks,
  endOfIsoWeek,
  isIsoWeek,
  isoWeekOf,
  isoWeekOfDay,
  isoWeeksBetween,
  isoWeeksOfMonth,
  monthOfIsoWeek,
  startOfIsoWeek,
} from '../../time/iso-week.js';

const ms = (iso: string): number => Date.parse(iso);
const shanghai = createCalendar('Asia/Shanghai');

describe('ISO weeks of the fleet calendar', () => {
  test.each([
    ['2026-11-16', '2026-W47'],
    ['2026-11-22', '2026-W47'],
    ['2026-11-23', '2026-W48'],
    ['2020-12-31', '2020-W53'],
    ['2021-01-03', '2020-W53'],
    ['2021-01-04', '2021-W01'],
    ['2024-12-30', '2025-W01'],
    ['2026-12-31', '2026-W53'],
    ['2027-01-01', '2026-W53'],
    ['2027-01-04', '2027-W01'],
  ])('%s is in %s', (day, week) => {
    expect(isoWeekOfDay(day)).toBe(week);
  });

  test.each([
    ['Asia/Shanghai', '2026-11-22T23:30:00+08:00', '2026-W47'], // Sunday night, local
    ['Asia/Shanghai', '2026-11-23T00:10:00+08:00', '2026-W48'], // Monday just after midnight, local
    ['Asia/Shanghai', '2026-11-22T16:10:00Z', '2026-W48'], // the same instant, written in UTC
    ['UTC', '2026-11-22T16:10:00Z', '2026-W47'], // … is still Sunday in UTC
  ])('in %s, %s falls in %s', (timeZone, iso, week) => {
    expect(isoWeekOf(ms(iso), createCalendar(timeZone))).toBe(week);
  });

  test.each([
    ['Asia/Shanghai', '2026-W48', '2026-11-22T16:00:00Z', '2026-11-29T16:00:00Z'],
    ['Europe/Berlin', '2023-W13', '2023-03-26T22:00:00Z', '2023-04-02T22:00:00Z'],
    ['Europe/Berlin', '2023-W12', '2023-03-19T23:00:00Z', '2023-03-26T22:00:00Z'], // 167 hours: clocks go forward
  ])('in %s, %s runs from %s to %s', (timeZone, week, start, end) => {
    const calendar = createCalendar(timeZone);
    expect(startOfIsoWeek(week, calendar)).toBe(ms(start));
    expect(endOfIsoWeek(week, calendar)).toBe(ms(end));
  });

  test('every day of 2020 to 2027 lies inside the week isoWeekOf gives it', () => {
    for (let day = '2020-01-01'; day < '2028-01-01'; day = nextDay(day)) {
      const week = isoWeekOf(shanghai.startOfDay(day), shanghai);
      expect(shanghai.startOfDay(day)).toBeGreaterThanOrEqual(startOfIsoWeek(week, shanghai));
      expect(shanghai.startOfDay(day)).toBeLessThan(endOfIsoWeek(week, shanghai));
    }
  });

  test.each([
    ['2026-W53', true],
    ['2025-W53', false],
    ['2026-W00', false],
    ['2026-W7', false],
    ['2026-11', false],
  ])('%s is a week: %s', (text, isWeek) => {
    expect(isIsoWeek(text)).toBe(isWeek);
  });

  test('weeks count for the month of their Thursday', () => {
    expect(isoWeeksOfMonth('2026-11')).toEqual(['2026-W45', '2026-W46', '2026-W47', '2026-W48']);
    expect(monthOfIsoWeek('2026-W49')).toBe('2026-12');
    expect(monthOfIsoWeek('2026-W53')).toBe('2026-12');
    expect(isoWeeksOfMonth('2027-01')[0]).toBe('2027-W01');
  });

  test('ranges and arithmetic cross year ends', () => {
    expect(addIsoWeeks('2026-W52', 2)).toBe('2027-W01');
    expect(addIsoWeeks('2027-W01', -1)).toBe('2026-W53');
    expect(isoWeeksBetween('2026-W52', '2027-W02')).toEqual(['2026-W52', '2026-W53', '2027-W01', '2027-W02']);
    expect(isoWeeksBetween('2027-W02', '2026-W52')).toEqual([]);
  });
});
