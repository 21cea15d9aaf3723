import type { LocalTime } from '../../agent/local-time.js';

/**
 * SIP2 dates are 18 characters, `YYYYMMDDZZZZHHMMSS`. `ZZZZ` is the zone: four spaces for the
 * machine's local time, `   Z` for UTC. Any other zone text is read as local time (it is not
 * standardised, and machines in one network share one zone).
 */
const DATE = /^(\d{4})(\d{2})(\d{2})(.{4})(\d{2})(\d{2})(\d{2})$/;

/** The instant of a SIP2 date, or undefined when it is blank or not a real date. */
export function parseSip2Date(text: string, local: LocalTime): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[5], m[6], m[7]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const isUtc = m[4]!.trim().toUpperCase() === 'Z';
  const ms = isUtc
    ? Date.UTC(year, month - 1, day, hour, minute, second)
    : local.instantOf(year, month, day, hour, minute, second);
  // 2023-02-30 rolls over into March: not a date the machine meant.
  const check = new Date(isUtc ? ms : ms + local.offsetMinutesAt(ms) * 60_000);
  return check.getUTCDate() === day ? ms : undefined;
}

/** A SIP2 date for an instant, in local time (`ZZZZ` blank) or UTC (`   Z`). */
export function formatSip2Date(epochMs: number, local: LocalTime | 'utc'): string {
  const offset = local === 'utc' ? 0 : local.offsetMinutesAt(epochMs);
  const iso = new Date(epochMs + offset * 60_000).toISOString();
  const zone = local === 'utc' ? '   Z' : '    ';
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${zone}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}
