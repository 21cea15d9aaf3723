import { formatNumber } from './format.js';
import { type Lang, translate } from './i18n.js';

/** What a machine's activity model still lacks (`insufficientHistory` in the API), as the server sends it. */
export interface HistoryShortfall {
  code: 'TOO_FEW_HOURS' | 'TOO_FEW_EVENTS';
  have: number;
  needed: number;
}

/** "120 h of history in service; 336 h needed" in the page's language; the server sends only the numbers. */
export function shortfallWords(lang: Lang, shortfall: HistoryShortfall | null | undefined): string | undefined {
  if (!shortfall) return undefined;
  const numbers = { have: formatNumber(lang, shortfall.have), needed: formatNumber(lang, shortfall.needed) };
  return translate(lang, shortfall.code === 'TOO_FEW_HOURS' ? 'shortfallHours' : 'shortfallEvents', numbers);
}
