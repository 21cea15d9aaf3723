import type { Lang } from './i18n.js';

let fleetTimeZone = 'Asia/Shanghai';

/** Every time on the page is shown in the fleet's time zone (FLEET_TZ), wherever the browser is. */
export function setFleetTimeZone(timeZone: string): void {
  fleetTimeZone = timeZone;
}

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-GB');

export function formatDateTime(lang: Lang, iso: string | null): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone: fleetTimeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

export function formatTime(lang: Lang, iso: string): string {
  return new Intl.DateTimeFormat(locale(lang), { timeZone: fleetTimeZone, hour: '2-digit', minute: '2-digit' }).format(
    new Date(iso),
  );
}

export function formatNumber(lang: Lang, value: number): string {
  return new Intl.NumberFormat(locale(lang)).format(value);
}

export function formatPercent(lang: Lang, ratio: number | null): string {
  if (ratio === null) return '—';
  return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/** `5 h 03 min`, `2 d 4 h`: a duration for countdowns; negative durations are shown by their size. */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** `YYYY-MM` of an instant in the fleet's time zone. */
export function fleetMonthOf(epochMs: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: fleetTimeZone, year: 'numeric', month: '2-digit' }).formatToParts(
    new Date(epochMs),
  );
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}`;
}

/** The fleet's time zone name (`Asia/Shanghai`): forms that take a wall time say which zone they mean. */
export function getFleetTimeZone(): string {
  return fleetTimeZone;
}

/** The fleet zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function fleetOffsetMs(epochMs: number): number {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: fleetTimeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMs));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wallMs = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wallMs - Math.floor(epochMs / 1000) * 1000;
}

/** The instant (ISO, UTC) of a wall time `YYYY-MM-DDTHH:mm` in the fleet's zone, as a datetime-local input gives it. */
export function fleetInstantOf(wallTime: string): string {
  const asUtcMs = Date.parse(`${wallTime}Z`);
  // Twice: the offset at the guess may differ from the offset at the answer across a DST change.
  const guessMs = asUtcMs - fleetOffsetMs(asUtcMs);
  return new Date(asUtcMs - fleetOffsetMs(guessMs)).toISOString();
}

/** `Mon 30 Nov` (`11月30日周一`): a day of the fleet's calendar with its weekday. */
export function formatDayOfWeek(lang: Lang, iso: string): string {
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone: fleetTimeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  }).format(new Date(iso));
}
