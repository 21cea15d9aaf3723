import { describe, expect, test } from 'vitest';
import { createCalendar, nextDay } from '../../time/calendar.js';

const ms = (iso: string): number => Date.parse(iso);

// Europe/Berlin in 2023: CET (+01:00) until 2023-03-26T01:00Z, CEST (+02:00) until
// 2023-10-29T01:00Z, then CET again (EU rule: changes at 01:00 UTC on the last Sunday).
describe('calendar', () => {
  test.each([
    ['Asia/Shanghai', '2023-01-31T15:59:59.999Z', '2023-01-31', '2023-01'],
    ['Asia/Shanghai', '2023-01-31T16:00:00Z', '2023-02-01', '2023-02'],
    ['Asia/Shanghai', '2023-12-31T16:00:00Z', '2024-01-01', '2024-01'],
    ['Asia/Shanghai', '2024-02-29T12:00:00+08:00', '2024-02-29', '2024-02'],
    ['UTC', '2023-01-31T23:59:59.999Z', '2023-01-31', '2023-01'],
    ['UTC', '2023-02-01T00:00:00Z', '2023-02-01', '2023-02'],
    ['UTC', '2023-02-01T07:59:59+08:00', '2023-01-31', '2023-01'],
    ['Europe/Berlin', '2023-03-25T22:59:59Z', '2023-03-25', '2023-03'],
    ['Europe/Berlin', '2023-03-25T23:00:00Z', '2023-03-26', '2023-03'],
    ['Europe/Berlin', '2023-03-26T21:59:59Z', '2023-03-26', '2023-03'],
    ['Europe/Berlin', '2023-03-26T22:00:00Z', '2023-03-27', '2023-03'],
    ['Europe/Berlin', '2023-10-28T21:59:59Z', '2023-10-28', '2023-10'],
    ['Europe/Berlin', '2023-10-28T22:00:00Z', '2023-10-29', '2023-10'],
    ['Europe/Berlin', '2023-10-29T22:59:59Z', '2023-10-29', '2023-10'],
    ['Europe/Berlin', '2023-10-29T23:00:00Z', '2023-10-30', '2023-10'],
    ['Europe/Berlin', '2023-10-31T23:00:00Z', '2023-11-01', '2023-11'],
  ])('in %s, %s falls on %s, in %s', (timeZone, iso, day, month) => {
    const calendar = createCalendar(timeZone);

    expect(calendar.dayOf(ms(iso))).toBe(day);
    expect(calendar.monthOf(ms(iso))).toBe(month);
  });

  test.each([
    ['Asia/Shanghai', '2023-07-01T00:00:00Z', 480],
    ['Asia/Shanghai', '1988-07-01T00:00:00Z', 540], // China observed daylight saving 1986-1991
    ['UTC', '2023-07-01T00:00:00Z', 0],
    ['Europe/Berlin', '2023-03-26T00:59:59.999Z', 60],
    ['Europe/Berlin', '2023-03-26T01:00:00Z', 120],
    ['Europe/Berlin', '2023-10-29T00:59:59.999Z', 120],
    ['Europe/Berlin', '2023-10-29T01:00:00Z', 60],
  ])('in %s, the offset at %s is %i minutes', (timeZone, iso, offsetMinutes) => {
    expect(createCalendar(timeZone).offsetMinutesAt(ms(iso))).toBe(offsetMinutes);
  });

  test.each([
    ['Asia/Shanghai', '2023-02-01', '2023-01-31T16:00:00Z'],
    ['UTC', '2023-02-01', '2023-02-01T00:00:00Z'],
    ['Europe/Berlin', '2023-03-26', '2023-03-25T23:00:00Z'], // 23 hours long
    ['Europe/Berlin', '2023-03-27', '2023-03-26T22:00:00Z'],
    ['Europe/Berlin', '2023-10-29', '2023-10-28T22:00:00Z'], // 25 hours long
    ['Europe/Berlin', '2023-10-30', '2023-10-29T23:00:00Z'],
  ])('in %s, %s starts at %s', (timeZone, day, iso) => {
    expect(createCalendar(timeZone).startOfDay(day)).toBe(ms(iso));
  });

  test.each(['Asia/Shanghai', 'UTC', 'Europe/Berlin'])(
    'in %s, every day of 2023 and 2024 starts at the first instant dayOf puts on it',
    (timeZone) => {
      const calendar = createCalendar(timeZone);
      for (let day = '2023-01-01'; day < '2025-01-01'; day = nextDay(day)) {
        const startMs = calendar.startOfDay(day);
        expect(calendar.dayOf(startMs)).toBe(day);
        expect(calendar.dayOf(startMs - 1)).not.toBe(day);
      }
    },
  );

  test.each([
    ['2023-02-28', '2023-03-01'],
    ['2024-02-28', '2024-02-29'],
    ['2024-02-29', '2024-03-01'],
    ['2023-12-31', '2024-01-01'],
  ])('the day after %s is %s', (day, next) => {
    expect(nextDay(day)).toBe(next);
  });

  test('an unknown time zone is refused with a RangeError', () => {
    expect(() => createCalendar('Mars/Olympus')).toThrow(RangeError);
  });

  // Zones whose transitions are not on a UTC hour, or skip local midnight.
  test('in America/Santiago, whose clocks skip local midnight, a day starts when the day does', () => {
    // 2023-09-03: 00:00 -04:00 jumps to 01:00 -03:00, so the day starts at 04:00Z.
    expect(createCalendar('America/Santiago').startOfDay('2023-09-03')).toBe(ms('2023-09-03T04:00:00Z'));
  });

  test('in America/St_Johns, whose offsets change at half past a UTC hour, the new offset applies at once', () => {
    // 2023-03-12 02:00 -03:30 (05:30Z) becomes 03:00 -02:30; an hourly cache would keep -210 until 06:00Z.
    expect(createCalendar('America/St_Johns').offsetMinutesAt(ms('2023-03-12T05:45:00Z'))).toBe(-150);
  });

  test.each([
    ['Europe/Berlin', 2026],
    ['America/St_Johns', 2026],
    ['Australia/Lord_Howe', 2026], // half-hour daylight saving
    ['Pacific/Chatham', 2026], // +12:45 / +13:45
    ['Pacific/Apia', 2011], // skipped 30 December 2011: a day-long jump
  ])('in %s, the offset at every quarter hour of %i, looked up in any order, is what Intl says', (timeZone, year) => {
    const format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    const intlOffset = (at: number) => {
      const name = format.formatToParts(at).find((p) => p.type === 'timeZoneName')!.value; // GMT+12:45, GMT
      const match = /GMT([+-])(\d\d):(\d\d)/.exec(name);
      return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
    };
    const calendar = createCalendar(timeZone);
    const from = Date.UTC(year, 0, 1);
    const quarters = (Date.UTC(year + 1, 0, 1) - from) / 900_000;
    const wrong: string[] = [];
    // A stride coprime with the count visits every quarter once, days first met at any hour.
    for (let i = 0, q = 0; i < quarters; i++, q = (q + 7_919) % quarters) {
      const at = from + q * 900_000;
      if (calendar.offsetMinutesAt(at) !== intlOffset(at)) wrong.push(new Date(at).toISOString());
    }
    expect(wrong).toEqual([]);
  });
});
