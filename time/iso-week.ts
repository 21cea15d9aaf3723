import type { Calendar, LocalDay, LocalMonth } from './calendar.js';

/**
 * ISO 8601 weeks of the fleet's local calendar: a week runs Monday 00:00 to the next Monday 00:00
 * local time, and week 1 of a year is the week holding that year's first Thursday, so a week's
 * year (and, by the same rule, its month) is that of its Thursday.
 */
export type IsoWeek = string; // YYYY-Www

const DAY_MS = 86_400_000;
const WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;

const utcDay = (ms: number): LocalDay => new Date(ms).toISOString().slice(0, 10);
/** Monday 0 … Sunday 6. */
const isoWeekday = (dayMs: number): number => (new Date(dayMs).getUTCDay() + 6) % 7;

/** The ISO week a local calendar day belongs to. */
export function isoWeekOfDay(day: LocalDay): IsoWeek {
  const dayMs = Date.parse(`${day}T00:00:00Z`);
  const thursdayMs = dayMs + (3 - isoWeekday(dayMs)) * DAY_MS;
  const year = new Date(thursdayMs).getUTCFullYear();
  const week = Math.floor((thursdayMs - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The ISO week of an instant, in the calendar's time zone. */
export function isoWeekOf(epochMs: number, calendar: Calendar): IsoWeek {
  return isoWeekOfDay(calendar.dayOf(epochMs));
}

/** The Monday a week starts on; throws a RangeError for text that is not an ISO week. */
export function mondayOf(week: IsoWeek): LocalDay {
  const match = WEEK_PATTERN.exec(week);
  if (!match) throw new RangeError(`"${week}" is not an ISO week (YYYY-Www)`);
  const year = Number(match[1]);
  const number = Number(match[2]);
  const jan4Ms = Date.UTC(year, 0, 4); // always in week 1
  const mondayMs = jan4Ms - isoWeekday(jan4Ms) * DAY_MS + (number - 1) * 7 * DAY_MS;
  const monday = utcDay(mondayMs);
  if (number < 1 || isoWeekOfDay(monday) !== week) throw new RangeError(`${year} has no week ${number}`);
  return monday;
}

/** True for `YYYY-Www` naming a week that exists (week 53 only in long years). */
export function isIsoWeek(text: string): boolean {
  try {
    mondayOf(text);
    return true;
  } catch {
    return false;
  }
}

/** The instant a week starts: Monday 00:00 local time. */
export function startOfIsoWeek(week: IsoWeek, calendar: Calendar): number {
  return calendar.startOfDay(mondayOf(week));
}

/** The instant a week ends (exclusive): the next Monday 00:00 local time. */
export function endOfIsoWeek(week: IsoWeek, calendar: Calendar): number {
  return startOfIsoWeek(addIsoWeeks(week, 1), calendar);
}

export function addIsoWeeks(week: IsoWeek, count: number): IsoWeek {
  return isoWeekOfDay(utcDay(Date.parse(`${mondayOf(week)}T00:00:00Z`) + count * 7 * DAY_MS));
}

/** Every week from `from` to `to`, both included, oldest first; empty when `to` is before `from`. */
export function isoWeeksBetween(from: IsoWeek, to: IsoWeek): IsoWeek[] {
  const weeks: IsoWeek[] = [];
  for (let week = from; mondayOf(week) <= mondayOf(to); week = addIsoWeeks(week, 1)) weeks.push(week);
  return weeks;
}

/** The month a week counts for: that of its Thursday (the ISO rule for its year, applied to months). */
export function monthOfIsoWeek(week: IsoWeek): LocalMonth {
  return utcDay(Date.parse(`${mondayOf(week)}T00:00:00Z`) + 3 * DAY_MS).slice(0, 7);
}

/** The weeks that count for a month (`YYYY-MM`): four or five, those whose Thursday falls in it. */
export function isoWeeksOfMonth(month: LocalMonth): IsoWeek[] {
  const first = isoWeekOfDay(`${month}-01`);
  const start = monthOfIsoWeek(first) === month ? first : addIsoWeeks(first, 1);
  const weeks: IsoWeek[] = [];
  for (let week = start; monthOfIsoWeek(week) === month; week = addIsoWeeks(week, 1)) weeks.push(week);
  return weeks;
}
