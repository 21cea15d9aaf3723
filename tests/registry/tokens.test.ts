import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { generateToken, hashToken, isTokenValid } from '../../registry/tokens.js';

describe('machine tokens', () => {
  test('a generated token is 256 random bits written as unpadded base64url', () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  test('generated tokens are distinct', () => {
    const tokens = Array.from({ length: 1000 }, generateToken);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  test('the stored hash is the hex SHA-256 of the token, never the token itself', () => {
    const token = generateToken();
    const stored = hashToken(token);
    expect(stored).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(token);
  });

  const token = generateToken();
  const stored = hashToken(token);

  test.each<{ what: string; presented: string | Buffer | undefined; storedHash: string | undefined; isValid: boolean }>([
    { what: 'the right token as a string', presented: token, storedHash: stored, isValid: true },
    {
      what: 'the right token as a Buffer (as MQTT passwords arrive)',
      presented: Buffer.from(token, 'utf8'),
      storedHash: stored,
      isValid: true,
    },
    { what: 'the right token against an upper-case hex hash', presented: token, storedHash: stored.toUpperCase(), isValid: true },
    { what: 'another token', presented: generateToken(), storedHash: stored, isValid: false },
    {
      what: 'the token with one character changed',
      presented: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      storedHash: stored,
      isValid: false,
    },
    { what: 'the stored hash presented as the password', presented: stored, storedHash: stored, isValid: false },
    { what: 'no password', presented: undefined, storedHash: stored, isValid: false },
    { what: 'an empty password', presented: '', storedHash: stored, isValid: false },
    { what: 'an empty Buffer', presented: Buffer.alloc(0), storedHash: stored, isValid: false },
    { what: 'the right token but no stored hash (unknown machine)', presented: token, storedHash: undefined, isValid: false },
    { what: 'the right token against an empty stored hash', presented: token, storedHash: '', isValid: false },
    {
      what: 'the right token against a truncated stored hash',
      presented: token,
      storedHash: stored.slice(0, 62),
      isValid: false,
    },
    {
      what: 'the right token against a stored hash with extra bytes',
      presented: token,
      storedHash: `${stored}00`,
      isValid: false,
    },
    {
      what: 'the right token against a stored hash that is not hex',
      presented: token,
      storedHash: 'z'.repeat(64),
      isValid: false,
    },
  ])('$what → valid: $isValid', ({ presented, storedHash, isValid }) => {
    expect(isTokenValid(presented, storedHash)).toBe(isValid);
  });
});
