/** UTF-8 bytes of a text. */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The longest start of `text` within `maxBytes` of UTF-8, cut between characters (never inside
 * one: a cut inside makes U+FFFD, 3 bytes, and pushes the text over the limit), ending in `…`
 * when anything was cut.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const ellipsis = '…';
  const budget = maxBytes - utf8Bytes(ellipsis);
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return budget < 0 ? '' : text.slice(0, end) + ellipsis;
}

export interface FitOptions {
  /** Lines always kept, before the items (the headline). */
  head: readonly string[];
  /** One line per machine: as many as fit are kept, in order. */
  items: readonly string[];
  /** The line telling how many items were left out (recounted for each cut). */
  more: (leftOut: number) => string;
  /** Lines always kept, after the items. */
  tail?: readonly string[];
  join: (lines: readonly string[]) => string;
  maxBytes: number;
  /** What counts against `maxBytes` (default: the text's UTF-8 bytes; a whole JSON body, say). */
  measure?: (text: string) => number;
}

/**
 * A message within a service's byte limit: as many item lines as fit, then "… and N more" with N
 * the number actually left out; if even the head alone is too long, it is cut between characters.
 */
export function fitToBytes(options: FitOptions): string {
  const { head, items, more, tail = [], join, maxBytes, measure = utf8Bytes } = options;
  const build = (kept: number) =>
    join([...head, ...items.slice(0, kept), ...(kept < items.length ? [more(items.length - kept)] : []), ...tail]);
  for (let kept = items.length; kept >= 0; kept--) {
    const text = build(kept);
    if (measure(text) <= maxBytes) return text;
  }
  // Not even the head with "… and N more" fits: the head is cut, the count kept.
  const rest = items.length > 0 ? [more(items.length), ...tail] : [...tail];
  const headText = join(head);
  for (let budget = maxBytes - (measure(join([headText, ...rest])) - utf8Bytes(headText)); budget > 0; budget--) {
    const text = join([truncateUtf8(headText, budget), ...rest]);
    if (measure(text) <= maxBytes) return text;
  }
  return truncateUtf8(headText, maxBytes - (measure(headText) - utf8Bytes(headText)));
}
