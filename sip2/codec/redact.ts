import { MESSAGE_SPECS } from './message-specs.js';
import type { Sip2Message } from './parse.js';

/**
 * The variable fields that may leave the bridge (in a dead letter or a log): the item, the
 * institution and locations, the media type, the library system's name and supported messages,
 * and error detection. Everything else stays: reader identity, names, passwords (AA, AD, AE, AC,
 * CO, CQ, BL), addresses, e-mail, phone (BD, BE, BF), fees (BH, BV, CG, …), screen and print
 * messages (AF, AG, which may greet the reader by name), and every vendor extension (Z…).
 */
export const SAFE_FIELD_IDS: ReadonlySet<string> = new Set(['AB', 'AO', 'AP', 'AQ', 'CK', 'AM', 'AN', 'BX', 'CP', 'AY', 'AZ']);

const REDACTED = '…';

/** A message with every unsafe field's value replaced; patron-status fixed fields blanked. */
export function redactMessage(message: Sip2Message): string {
  const spec = MESSAGE_SPECS[message.code];
  const fixed = spec?.hasPatronFixedFields ? REDACTED : Object.values(message.fixed).join('');
  const fields = message.fields.map(([id, value]) => `${id}${SAFE_FIELD_IDS.has(id) ? value : REDACTED}|`).join('');
  return `${message.code}${fixed}${fields}`;
}

/**
 * A line that could not be read: its variable fields cannot be trusted to be where they seem,
 * so only the code (when it looks like one) and the ids of `|`-separated segments are kept.
 */
export function redactUnreadable(line: string, maxChars = 200): string {
  const code = /^\d\d/.test(line) ? line.slice(0, 2) : '';
  const ids = line
    .slice(2)
    .split('|')
    .slice(1)
    .map((segment) => (/^[A-Z][A-Z0-9]/.test(segment) ? segment.slice(0, 2) : '?'));
  const text = `${code || '??'}${REDACTED}${ids.map((id) => `|${id}${REDACTED}`).join('')} (${line.length} bytes)`;
  return text.slice(0, maxChars);
}
