import { createCalendar } from '../collector/domain/calendar.js';

/** Formats an instant as ISO 8601 with the fleet's local offset: `2023-06-01T12:00:00.000+08:00`. */
export type TimestampFormatter = (epochMs: number) => string;

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, '0');
  const minutes = String(abs % 60).padStart(2, '0');
  return `${sign}${hours}:${minutes}`;
}

/** Throws a RangeError for an unknown IANA time zone name. */
export function createTimestampFormatter(timeZone: string): TimestampFormatter {
  const calendar = createCalendar(timeZone);
  return (epochMs: number) => {
    const offsetMinutes = calendar.offsetMinutesAt(epochMs);
    const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 23);
    return `${local}${formatOffset(offsetMinutes)}`;
  };
}

const formatters = new Map<string, TimestampFormatter>();

/** A shared formatter per time zone: creating one costs an Intl.DateTimeFormat. */
export function timestampFormatterFor(timeZone: string): TimestampFormatter {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = createTimestampFormatter(timeZone);
    formatters.set(timeZone, formatter);
  }
  return formatter;
}
