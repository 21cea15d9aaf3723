import Database from 'better-sqlite3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { RegistryError } from '../../registry/kiosk-registry.js';
import { openKioskRegistry } from '../../registry/sqlite-kiosk-registry.js';
import { hashToken } from '../../registry/tokens.js';
import { describeKioskRegistryContract, machine } from '../contract/kiosk-registry-contract.js';

describeKioskRegistryContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-registry-'));
  return {
    open: async () => openKioskRegistry(join(dir, 'registry.sqlite')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('the kiosk registry in SQLite', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-registry-'));
    file = join(dir, 'registry.sqlite');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Every byte the registry wrote: the database and its WAL and shared-memory files. */
  async function registryBytes(): Promise<Buffer> {
    const names = await readdir(dir);
    return Buffer.concat(await Promise.all(names.map((name) => readFile(join(dir, name)))));
  }

  test('the file keeps only the SHA-256 of a token, never the token itself', async () => {
    const registry = openKioskRegistry(file);
    const { token } = await registry.provision(machine('CY-071'));
    const rotated = await registry.rotateToken('CY-071');

    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM kiosks').all() as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]?.token_hash).toBe(hashToken(rotated));
      const cells = rows.flatMap((row) => Object.values(row).map(String));
      for (const secret of [token, rotated]) expect(cells.some((cell) => cell.includes(secret))).toBe(false);
    } finally {
      db.close();
    }

    await registry.close();
    const bytes = await registryBytes();
    expect(bytes.includes(hashToken(rotated))).toBe(true); // the check below reads the right bytes
    expect(bytes.includes(token)).toBe(false);
    expect(bytes.includes(rotated)).toBe(false);
  });

  test('a write is visible to a second connection on the file as soon as the call returns', async () => {
    const writer = openKioskRegistry(file);
    const reader = openKioskRegistry(file);
    try {
      const { token } = await writer.provision(machine('CY-071'));
      await writer.revoke('CY-071');
      expect(reader.verifyToken('CY-071', token)).toBe(false);
      expect(reader.isRevoked('CY-071')).toBe(true);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  test('a registry that cannot be opened fails with REGISTRY_UNAVAILABLE', () => {
    // The registry's path is taken by a directory, so SQLite cannot open it as a file.
    let error: unknown;
    try {
      openKioskRegistry(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', cause: expect.anything() });
  });
});
