import type { IndicatorRow } from '../../../../collector/domain/indicators.js';
import { formatNumber } from '../../format.js';
import type { Lang } from '../../i18n.js';

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-GB');
const percent = (lang: Lang, ratio: number, decimals: number) =>
  new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: decimals }).format(ratio);

/**
 * A share as a person reads it: whole percent (97 %, not 97.3846 %). Rounding must never show a
 * missed target as reached, so a share just under its target keeps one decimal, cut, not rounded
 * up: 99.96 % against 100 % reads "99.9 %", not "100 %".
 */
export function formatShare(lang: Lang, ratio: number, target?: number): string {
  const whole = Math.round(ratio * 100);
  if (target !== undefined && ratio < target && whole >= Math.round(target * 100)) {
    return percent(lang, Math.floor(ratio * 1000) / 1000, 1);
  }
  return percent(lang, whole / 100, 0);
}

/** An indicator's target or actual in its unit; null when there is none. */
export function formatIndicatorValue(lang: Lang, row: IndicatorRow, value: number | null): string | null {
  if (value === null) return null;
  return row.unit === 'ratio'
    ? formatShare(lang, value, value === row.target ? undefined : row.target)
    : formatNumber(lang, value);
}
