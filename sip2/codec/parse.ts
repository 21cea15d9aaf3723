import { isChecksumValid } from './checksum.js';
import { fixedLength, MESSAGE_SPECS, OPAQUE_CODES } from './message-specs.js';

/** One SIP2 message, read. Field values are latin1 strings (one character per byte). */
export interface Sip2Message {
  code: string;
  fixed: Record<string, string>;
  /** Variable fields in order; an id may repeat (AG print lines, CB, …). */
  fields: Array<[id: string, value: string]>;
  /** `AY` when error detection is on for this message. */
  sequence?: number;
  /** `AZ` as sent. */
  checksum?: string;
  /** The raw text before the terminator, as read. */
  line: string;
}

export type ParseFailure = 'empty' | 'unknown_code' | 'too_short' | 'bad_checksum' | 'bad_field';

export type ParseResult = { ok: true; message: Sip2Message } | { ok: false; reason: ParseFailure; code?: string };

/** `…AY<digit>AZ<4 hex>` at the very end (AY is optional: some SCs send AZ alone). */
const ERROR_DETECTION = /(?:AY(\d))?AZ([0-9A-Fa-f]{4})$/;
const CODE = /^\d\d$/;

/** Reads one message (without its terminator). Never throws. */
export function parseSip2(line: string): ParseResult {
  if (line.length === 0) return { ok: false, reason: 'empty' };
  const code = line.slice(0, 2);
  const spec = CODE.test(code) ? MESSAGE_SPECS[code] : undefined;
  if (spec === undefined) return { ok: false, reason: 'unknown_code' };
  let body = line;
  let sequence: number | undefined;
  let checksum: string | undefined;
  const detection = ERROR_DETECTION.exec(line);
  if (detection) {
    const azEnd = detection.index + detection[0].length - 4;
    if (!isChecksumValid(line.slice(0, azEnd), detection[2]!)) return { ok: false, reason: 'bad_checksum', code };
    checksum = detection[2]!;
    if (detection[1] !== undefined) sequence = Number(detection[1]);
    body = line.slice(0, detection.index);
  }
  const fixedEnd = 2 + fixedLength(spec);
  if (body.length < fixedEnd) return { ok: false, reason: 'too_short', code };
  const fixed: Record<string, string> = {};
  let at = 2;
  for (const field of spec.fixed) {
    fixed[field.name] = body.slice(at, at + field.width);
    at += field.width;
  }
  const fields: Array<[string, string]> = [];
  if (!OPAQUE_CODES.has(code)) {
    const rest = body.slice(fixedEnd);
    for (const segment of rest.split('|')) {
      if (segment.length === 0) continue;
      if (segment.length < 2 || !/^[A-Z][A-Z0-9]$/i.test(segment.slice(0, 2))) return { ok: false, reason: 'bad_field', code };
      fields.push([segment.slice(0, 2).toUpperCase(), segment.slice(2)]);
    }
  }
  return {
    ok: true,
    message: {
      code,
      fixed,
      fields,
      ...(sequence === undefined ? {} : { sequence }),
      ...(checksum === undefined ? {} : { checksum }),
      line,
    },
  };
}

/** The first value of a variable field. */
export function fieldOf(message: Sip2Message, id: string): string | undefined {
  return message.fields.find(([fieldId]) => fieldId === id)?.[1];
}
