import { chmodSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadMapping, parseMapping } from '../../sip2/bridge/mapping.js';
import { writeMapping } from './sip2-harness.js';

describe('the SIP2 mapping file', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'sip2-map-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('names a machine by login user id, location code or source address; the last three columns may be empty', () => {
    const mapping = loadMapping(writeMapping(dir, ['K-1,tok1,sc-1,,', 'K-2,tok2,,LOC-2,', 'K-3,tok3,,,10.0.0.7', 'K-4,tok4,,,']));
    expect(mapping.byLoginUserId('sc-1')?.kioskId).toBe('K-1');
    expect(mapping.byLocationCode('LOC-2')?.kioskId).toBe('K-2');
    expect(mapping.byAddress('::ffff:10.0.0.7')?.kioskId).toBe('K-3');
    expect(mapping.machines.map((m) => m.kioskId)).toEqual(['K-1', 'K-2', 'K-3', 'K-4']);
  });

  test.each([0o644, 0o640, 0o604])('a file others may read (mode %o) is refused: it holds tokens', (mode) => {
    const file = writeMapping(dir, ['K-1,tok1,sc-1,,'], mode);
    expect(() => loadMapping(file)).toThrow(expect.objectContaining({ code: 'SIP2_MAP_PERMISSIONS' }));
    chmodSync(file, 0o600);
    expect(loadMapping(file).machines).toHaveLength(1);
  });

  test.each([
    ['a bad kiosk id', 'K 1,SECRET-TOKEN,a,,', 'kiosk_id'],
    ['a missing token', 'K-1,,a,,', 'token'],
    ['an address that is not an IP', 'K-1,SECRET-TOKEN,,,library.local', 'address'],
    ['a login user id named twice', 'K-1,SECRET-TOKEN,a,,\nK-2,SECRET-TOKEN,a,,', 'already names K-1'],
    ['a kiosk named twice', 'K-1,SECRET-TOKEN,a,,\nK-1,SECRET-TOKEN,b,,', 'appears twice'],
  ])('%s is refused, naming the line, never echoing a token', (_what, rows, message) => {
    const csv = `kiosk_id,token,login_user_id,location_code,address\n${rows}\n`;
    expect(() => parseMapping(csv)).toThrow(message);
    expect(() => parseMapping(csv)).toThrow(/line \d/);
    expect(() => parseMapping(csv)).not.toThrow('SECRET-TOKEN');
  });
});
