/**
 * Wall-clock time in one IANA time zone, for machine-side parts: timestamps with the zone's offset
 * (`2026-11-22T08:30:00.000+08:00`, as the wire contract wants) and the instant of a local date and
 * time (a SIP2 transaction date without a zone). Offsets are cached per quarter hour of UTC: zones
 * change offset only on quarter-hour boundaries.
 */
export interface LocalTime {
  readonly timeZone: string;
  offsetMinutesAt(epochMs: number): number;
  /** ISO 8601 with milliseconds and the zone's offset at that instant. */
  format(epochMs: number): string;
  /** The instant of a local wall-clock time (month 1-12); in a skipped hour, the instant after the gap. */
  instantOf(year: number, month: number, day: number, hour: number, minute: number, second: number): number;
}

const QUARTER_HOUR_MS = 900_000;

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Throws a RangeError for an unknown IANA time zone name. */
export function createLocalTime(timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const offsetByQuarter = new Map<number, number>();
  function offsetMinutesAt(epochMs: number): number {
    const quarter = Math.floor(epochMs / QUARTER_HOUR_MS);
    let offset = offsetByQuarter.get(quarter);
    if (offset === undefined) {
      const at = quarter * QUARTER_HOUR_MS;
      const p = Object.fromEntries(parts.formatToParts(at).map((part) => [part.type, part.value]));
      offset = Math.round((Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!) - at) / 60_000);
      if (offsetByQuarter.size > 100_000) offsetByQuarter.clear();
      offsetByQuarter.set(quarter, offset);
    }
    return offset;
  }
  return Object.freeze({
    timeZone,
    offsetMinutesAt,
    format(epochMs: number): string {
      const offset = offsetMinutesAt(epochMs);
      return `${new Date(epochMs + offset * 60_000).toISOString().slice(0, 23)}${formatOffset(offset)}`;
    },
    instantOf(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
      const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
      // Two passes settle the offset across a daylight-saving change.
      let guess = asUtc - offsetMinutesAt(asUtc) * 60_000;
      guess = asUtc - offsetMinutesAt(guess) * 60_000;
      return guess;
    },
  });
}
