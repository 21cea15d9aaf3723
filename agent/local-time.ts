/**
 * Wall-clock time in one IANA time zone, for machine-side parts: timestamps with the zone's offset
 * (`2026-11-22T08:30:00.000+08:00`, as the wire contract wants) and the instant of a local date and
 * time (a SIP2 transaction date without a zone). Offsets come from time/zone-offset.ts.
 */
import { createZoneOffset } from '../time/zone-offset.js';
export interface LocalTime {
  readonly timeZone: string;
  offsetMinutesAt(epochMs: number): number;
  /** ISO 8601 with milliseconds and the zone's offset at that instant. */
  format(epochMs: number): string;
  /** The instant of a local wall-clock time (month 1-12); in a skipped hour, the instant after the gap. */
  instantOf(year: number, month: number, day: number, hour: number, minute: number, second: number): number;
}

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Throws a RangeError for an unknown IANA time zone name. */
export function createLocalTime(timeZone: string): LocalTime {
  const offsetMinutesAt = createZoneOffset(timeZone);
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
