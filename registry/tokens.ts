import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Machine and service credentials are random tokens, not passwords: 256 bits of entropy make a
 * slow hash pointless, and thousands of machines reconnecting at once need a check that costs
 * microseconds (SHA-256: ~5 µs) rather than tens of milliseconds (scrypt: ~64 ms).
 */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a token, hex; what the registry stores. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented token against a stored hash. */
export function isTokenValid(presented: string | Buffer | undefined, storedHashHex: string | undefined): boolean {
  if (presented === undefined || storedHashHex === undefined) return false;
  const presentedHash = createHash('sha256').update(presented).digest();
  const stored = Buffer.from(storedHashHex, 'hex');
  return stored.length === presentedHash.length && timingSafeEqual(presentedHash, stored);
}
