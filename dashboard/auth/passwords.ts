import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost: N (a power of two), r and p; memory is 128 · N · r bytes (N = 2^16, r = 8: 64 MiB). */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 65_536, r: 8, p: 1 };
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

const memoryOf = (params: ScryptParams) => 128 * params.N * params.r;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...params, maxmem: memoryOf(params) + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/**
 * `scrypt$N$r$p$salt$key` (salt and key base64): the parameters travel with the hash, so they can
 * be raised later and old hashes still verify (and are rehashed at the next login).
 */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export function parsePasswordHash(stored: string): (ScryptParams & { salt: Buffer; key: Buffer }) | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return null;
  return { N, r, p, salt: Buffer.from(parts[4]!, 'base64'), key: Buffer.from(parts[5]!, 'base64') };
}

/** Constant-time check; `weakerThan` says whether the stored parameters are below the current ones. */
export async function verifyPassword(
  password: string,
  stored: string,
  current: ScryptParams = DEFAULT_SCRYPT,
): Promise<{ ok: boolean; weakerThan: boolean }> {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return { ok: false, weakerThan: false };
  const key = await derive(password, parsed.salt, parsed);
  const ok = key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  return { ok, weakerThan: memoryOf(parsed) < memoryOf(current) || parsed.p < current.p };
}

/** A one-time password for the first admin: 120 random bits, easy to type. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
