import { createZoneOffset, QUARTER_HOUR_MS } from './zone-offset.js';

/** Calendar days and months of instants in the fleet's time zone (offsets: time/zone-offset.ts). */
export type LocalDay = string; // YYYY-MM-DD
export type LocalMonth = string; // YYYY-MM

export interface Calendar {
  readonly timeZone: string;
  /** The local calendar day of an instant, `YYYY-MM-DD`. */
  dayOf(epochMs: number): LocalDay;
  monthOf(epochMs: number): LocalMonth;
  /** Offset of local time from UTC at an instant, in minutes (Asia/Shanghai: 480). */
  offsetMinutesAt(epochMs: number): number;
  /** The instant a local day starts. */
  startOfDay(day: LocalDay): number;
}

/** Throws a RangeError for an unknown IANA time zone name. */
export function createCalendar(timeZone: string): Calendar {
  const offsetMinutesAt = createZoneOffset(timeZone);

  function dayOf(epochMs: number): LocalDay {
    return new Date(epochMs + offsetMinutesAt(epochMs) * 60_000).toISOString().slice(0, 10);
  }

  return Object.freeze({
    timeZone,
    dayOf,
    monthOf: (epochMs: number) => dayOf(epochMs).slice(0, 7),
    offsetMinutesAt,
    startOfDay(day: LocalDay): number {
      const utcMidnight = Date.parse(`${day}T00:00:00Z`);
      // Two passes settle the offset across a daylight-saving change.
      let guess = utcMidnight - offsetMinutesAt(utcMidnight) * 60_000;
      guess = utcMidnight - offsetMinutesAt(guess) * 60_000;
      // Where the clocks skip local midnight (America/Santiago), the day starts at the gap's end.
      while (dayOf(guess) < day) guess += QUARTER_HOUR_MS;
      return guess;
    },
  });
}

/** The day after a local day, `YYYY-MM-DD`. */
export function nextDay(day: LocalDay): LocalDay {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
