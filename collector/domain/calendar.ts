/**
 * Calendar days and months of instants in the fleet's time zone. Offsets are cached per hour of
 * UTC: every IANA zone changes offset only on hour or half-hour boundaries aligned to UTC hours,
 * except a handful of historic ones, and Intl formatting costs microseconds per call.
 */
export type LocalDay = string; // YYYY-MM-DD
export type LocalMonth = string; // YYYY-MM

const HOUR_MS = 3_600_000;

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
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const offsetByHour = new Map<number, number>();

  function offsetMinutesAt(epochMs: number): number {
    const hour = Math.floor(epochMs / HOUR_MS);
    let offset = offsetByHour.get(hour);
    if (offset === undefined) {
      const at = hour * HOUR_MS;
      const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
      const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!);
      offset = Math.round((asUtc - at) / 60_000);
      if (offsetByHour.size > 100_000) offsetByHour.clear();
      offsetByHour.set(hour, offset);
    }
    return offset;
  }

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
      return guess;
    },
  });
}

/** The day after a local day, `YYYY-MM-DD`. */
export function nextDay(day: LocalDay): LocalDay {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
