/**
 * The offset from UTC of an IANA time zone at an instant, in minutes (Asia/Shanghai: 480), shared
 * by the platform's calendar and the machine-side parts. Intl formatting costs microseconds per
 * call, so offsets are cached per UTC day: a day whose first and last quarter hour have the same
 * offset has it throughout (no zone changes offset twice within a day), and only the few days a
 * year with a transition are cached per quarter hour (zones change offset on quarter-hour
 * boundaries, some at half past a UTC hour: America/St_Johns). A year of instants is 365 entries.
 */
export const QUARTER_HOUR_MS = 900_000;
const DAY_MS = 86_400_000;
/** Days cached before the cache starts again: about eleven years. */
const MAX_CACHED_DAYS = 4_000;

/** Throws a RangeError for an unknown IANA time zone name. */
export function createZoneOffset(timeZone: string): (epochMs: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const offsetAt = (at: number): number => {
    const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
    const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!);
    return Math.round((asUtc - at) / 60_000);
  };
  /** Per UTC day: its offset, or, on a day with a transition, its quarter hours' offsets as looked up. */
  const byDay = new Map<number, number | Map<number, number>>();
  return function offsetMinutesAt(epochMs: number): number {
    const day = Math.floor(epochMs / DAY_MS);
    let known = byDay.get(day);
    if (known === undefined) {
      const first = offsetAt(day * DAY_MS);
      known = first === offsetAt((day + 1) * DAY_MS - QUARTER_HOUR_MS) ? first : new Map<number, number>();
      if (byDay.size >= MAX_CACHED_DAYS) byDay.clear();
      byDay.set(day, known);
    }
    if (typeof known === 'number') return known;
    const quarter = Math.floor(epochMs / QUARTER_HOUR_MS);
    let offset = known.get(quarter);
    if (offset === undefined) known.set(quarter, (offset = offsetAt(quarter * QUARTER_HOUR_MS)));
    return offset;
  };
}
