import { faultWords } from '../../fault-words.js';
import type { Lang } from '../../i18n.js';
import type { AlertView } from '../../live/live-store.js';

/**
 * An alert's title in words: "Return bin full" rather than the server's `return bin: BIN_FULL`;
 * an offline machine or one not lending keeps the server's own title.
 */
export function alertWords(lang: Lang, alert: Pick<AlertView, 'component' | 'problems' | 'title'>): string {
  const faults = alert.problems.filter((p) => p.kind === 'fault');
  if (faults.length === 0) return alert.title;
  const words = [...new Set(faults.map((p) => faultWords(lang, p)))];
  return words.join(lang === 'zh' ? '、' : ', ');
}

/** The faults of an alert that the machine still reports (not ended), in words; empty when none. */
export function stillReported(lang: Lang, alert: Pick<AlertView, 'problems'>): string[] {
  return [...new Set(alert.problems.filter((p) => p.kind === 'fault' && p.endedAt === null).map((p) => faultWords(lang, p)))];
}
