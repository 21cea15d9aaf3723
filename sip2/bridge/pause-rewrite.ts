import { encodeSip2 } from '../codec/encode.js';
import { MESSAGE_SPECS } from '../codec/message-specs.js';
import { parseSip2 } from '../codec/parse.js';

/** ASCII: the library system's code page is unknown. */
export const DEFAULT_PAUSE_SCREEN_MESSAGE = 'Loans are paused on this machine. Please use another machine or the desk.';

/**
 * An operator paused or withdrew a bridged machine: its library system's status answer (98) goes
 * to it with "checkout ok" = N and a screen message (AF), which makes a well-behaved SC stop
 * offering loans and show the message. Everything else in the answer is kept; error detection is
 * recomputed with the same sequence number. Undefined when the line is not a readable 98.
 */
export function rewriteAcsStatusForPause(line: string, screenMessage: string): string | undefined {
  const parsed = parseSip2(line);
  if (!parsed.ok || parsed.message.code !== '98') return undefined;
  const { message } = parsed;
  const fixed = MESSAGE_SPECS['98']!.fixed.map((field) => (field.name === 'checkoutOk' ? 'N' : message.fixed[field.name]!));
  const fields = [...message.fields.filter(([id]) => id !== 'AF'), ['AF', screenMessage] as const];
  return encodeSip2('98', fixed, fields, message.sequence ?? (message.checksum !== undefined ? 0 : undefined));
}
