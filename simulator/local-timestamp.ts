import { createLocalTime } from '../agent/local-time.js';

/** Formats an instant as ISO 8601 with the fleet's local offset: `2023-06-01T12:00:00.000+08:00`. */
export type TimestampFormatter = (epochMs: number) => string;

/** Throws a RangeError for an unknown IANA time zone name. */
export function createTimestampFormatter(timeZone: string): TimestampFormatter {
  return createLocalTime(timeZone).format;
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
