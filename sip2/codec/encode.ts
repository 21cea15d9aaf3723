import { computeChecksum } from './checksum.js';

/**
 * Builds one SIP2 message: code, fixed fields (already at their widths), variable fields, and
 * with a sequence number, `AY<seq>AZ<checksum>`. No terminator: the caller adds CR (or CR LF).
 */
export function encodeSip2(
  code: string,
  fixed: readonly string[],
  fields: ReadonlyArray<readonly [id: string, value: string]>,
  sequence?: number,
): string {
  const body = `${code}${fixed.join('')}${fields.map(([id, value]) => `${id}${value}|`).join('')}`;
  if (sequence === undefined) return body;
  const upToAz = `${body}AY${sequence % 10}AZ`;
  return `${upToAz}${computeChecksum(upToAz)}`;
}
