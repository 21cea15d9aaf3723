import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type KioskRegistry, openKioskRegistry, RegistryError } from '../../registry/kiosk-registry.js';

const machine = { id: 'CY-001', name: '望京自助图书馆', district: '望京', lat: 39.99, lon: 116.47 };

describe('revoking and rotating a machine’s credentials', () => {
  let dir: string;
  let registry: KioskRegistry;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-revoke-'));
    registry = openKioskRegistry(join(dir, 'registry.sqlite'));
  });
  afterEach(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a revoked machine’s token stops working, also in another process’s registry on the same file', () => {
    const { token } = registry.provision(machine);
    registry.revoke(machine.id);
    expect(registry.verifyToken(machine.id, token)).toBe(false);
    expect(registry.isRevoked(machine.id)).toBe(true);
    const other = openKioskRegistry(join(dir, 'registry.sqlite'));
    expect(other.verifyToken(machine.id, token)).toBe(false);
    other.close();
  });

  test('no presented value matches a revoked machine, not even the marker itself', () => {
    registry.provision(machine);
    registry.revoke(machine.id);
    for (const presented of ['', 'revoked', Buffer.alloc(0), Buffer.alloc(32)])
      expect(registry.verifyToken(machine.id, presented)).toBe(false);
  });

  test('a new token lets a revoked machine back in; the old one stays refused', () => {
    const { token: old } = registry.provision(machine);
    registry.revoke(machine.id);
    const fresh = registry.rotateToken(machine.id);
    expect(registry.isRevoked(machine.id)).toBe(false);
    expect(registry.verifyToken(machine.id, fresh)).toBe(true);
    expect(registry.verifyToken(machine.id, old)).toBe(false);
  });

  test('listeners hear of every rotation and revocation, until they unsubscribe', () => {
    registry.provision(machine);
    const heard: string[] = [];
    const unsubscribe = registry.onCredentialsChanged((id, change) => heard.push(`${id} ${change}`));
    registry.rotateToken(machine.id);
    registry.revoke(machine.id);
    unsubscribe();
    registry.rotateToken(machine.id);
    expect(heard).toEqual(['CY-001 rotated', 'CY-001 revoked']);
  });

  test('revoking an unknown machine fails with KIOSK_NOT_FOUND and announces nothing', () => {
    const heard: string[] = [];
    registry.onCredentialsChanged((id) => heard.push(id));
    expect(() => registry.revoke('CY-999')).toThrow(expect.objectContaining({ code: 'KIOSK_NOT_FOUND' }));
    expect(heard).toEqual([]);
    expect(registry.isRevoked('CY-999')).toBe(false);
  });
});

describe('a registry that cannot be read', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-registry-bad-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each([
    ['is not a database', async (file: string) => writeFile(file, Buffer.alloc(8192, 0x5a)), /file is not a database/],
    [
      'is a truncated database',
      async (file: string) => {
        const good = openKioskRegistry(file);
        good.provision(machine);
        good.close();
        await writeFile(file, (await readFile(file)).subarray(0, 100));
      },
      /cannot open the machine registry/,
    ],
  ])('fails to open with REGISTRY_UNAVAILABLE when the file %s', async (_name, spoil, message) => {
    const file = join(dir, 'registry.sqlite');
    await spoil(file);
    let error: unknown;
    try {
      openKioskRegistry(file).close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringMatching(message) });
    expect((error as Error).message).toContain(file);
  });
});
