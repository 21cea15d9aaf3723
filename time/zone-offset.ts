/**
 * The offset from UTC of an IANA time zone at an instant, in minutes (Asia/Shanghai: 480), shared
 * by the platform's calendar and the machine-side parts. Offsets are cached per quarter hour of UTC
 * (Intl formatting costs microseconds per call): current zones change offset only on quarter-hour
 * boundaries, some of them at half past a UTC hour (America/St_Johns).
 */
export const QUARTER_HOUR_MS = 900_000;
/** Quarter hours cached before the cache starts again: about eleven years of instants. */
const MAX_CACHED_QUARTERS = 400_000;

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
  const offsetByQuarter = new Map<number, number>();
  return function offsetMinutesAt(epochMs: number): number {
    const quarter = Math.floor(epochMs / QUARTER_HOUR_MS);
    let offset = offsetByQuarter.get(quarter);
    if (offset === undefined) {
      const at = quarter * QUARTER_HOUR_MS;
      const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
      const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!);
      offset = Math.round((asUtc - at) / 60_000);
      if (offsetByQuarter.size > MAX_CACHED_QUARTERS) offsetByQuarter.clear();
      offsetByQuarter.set(quarter, offset);
    }
    return offset;
  };
}
