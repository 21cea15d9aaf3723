/**
 * SIP2 error detection: the checksum is the two's complement of the 16-bit sum of every byte from
 * the start of the message up to and including `AZ`, written as 4 hex digits (SIP2 2.00, "Error
 * Detection"). Messages are handled as latin1 strings, one character per byte, so that the sum is
 * over the bytes whatever the library system's code page.
 */
export function computeChecksum(upToAndIncludingAz: string): string {
  let sum = 0;
  for (let i = 0; i < upToAndIncludingAz.length; i++) sum = (sum + (upToAndIncludingAz.charCodeAt(i) & 0xff)) & 0xffff;
  return ((-sum & 0xffff) >>> 0).toString(16).toUpperCase().padStart(4, '0');
}

/** Uppercase is usual; lowercase is accepted. */
export function isChecksumValid(upToAndIncludingAz: string, checksum: string): boolean {
  return computeChecksum(upToAndIncludingAz) === checksum.toUpperCase();
}
