import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ensureSimulatedCredentials, readSimulatedCredentials } from '../../platform/sim-credentials.js';
import { kioskRecordSchema, type KioskRecord } from '../../registry/kiosk.js';
import type { KioskRegistry } from '../../registry/kiosk-registry.js';
import { openKioskRegistry } from '../../registry/sqlite-kiosk-registry.js';

const machines: KioskRecord[] = ['CY-001', 'CY-002', 'CY-003'].map((id) =>
  kioskRecordSchema.parse({ id, name: `自助图书馆 ${id}`, district: '望京', lat: 39.99, lon: 116.47 }),
);

describe('credentials of the simulated machines', () => {
  let dir: string;
  let credentialsFile: string;
  let registry: KioskRegistry;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-credentials-'));
    credentialsFile = join(dir, 'simulator', 'credentials.json');
    registry = openKioskRegistry(join(dir, 'registry.sqlite'));
  });
  afterEach(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('on first run every machine is provisioned and its token kept in an owner-only file', async () => {
    const tokens = await ensureSimulatedCredentials(registry, machines, credentialsFile);
    expect(Object.keys(tokens)).toEqual(['CY-001', 'CY-002', 'CY-003']);
    for (const [id, token] of Object.entries(tokens)) expect(registry.verifyToken(id, token)).toBe(true);
    expect(readSimulatedCredentials(credentialsFile)).toEqual(tokens);
    expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
  });

  test('a later run keeps the tokens that still verify', async () => {
    const first = await ensureSimulatedCredentials(registry, machines, credentialsFile);
    expect(await ensureSimulatedCredentials(registry, machines, credentialsFile)).toEqual(first);
  });

  test('a machine whose token no longer verifies (rotated elsewhere, file lost) gets a new one', async () => {
    const first = await ensureSimulatedCredentials(registry, machines, credentialsFile);
    registry.rotateToken('CY-002');
    const second = await ensureSimulatedCredentials(registry, machines, credentialsFile);
    expect(second['CY-001']).toBe(first['CY-001']);
    expect(second['CY-002']).not.toBe(first['CY-002']);
    expect(registry.verifyToken('CY-002', second['CY-002'])).toBe(true);

    await rm(credentialsFile);
    const third = await ensureSimulatedCredentials(registry, machines, credentialsFile);
    for (const [id, token] of Object.entries(third)) {
      expect(token).not.toBe(second[id]);
      expect(registry.verifyToken(id, token)).toBe(true);
      expect(registry.verifyToken(id, second[id])).toBe(false);
    }
  });

  test('without a credentials file there are no simulated credentials', () => {
    expect(readSimulatedCredentials(credentialsFile)).toEqual({});
  });
});
