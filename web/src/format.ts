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
