import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { RegistryError } from '../../registry/kiosk-registry.js';
import { openKioskRegistry } from '../../registry/sqlite-kiosk-registry.js';

const machine = { id: 'CY-001', name: '望京自助图书馆', district: '望京', lat: 39.99, lon: 116.47 };

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
        await good.provision(machine);
        await good.close();
        await writeFile(file, (await readFile(file)).subarray(0, 100));
      },
      /cannot open the machine registry/,
    ],
  ])('fails to open with REGISTRY_UNAVAILABLE when the file %s', async (_name, spoil, message) => {
    const file = join(dir, 'registry.sqlite');
    await spoil(file);
    let error: unknown;
    try {
      await openKioskRegistry(file).close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringMatching(message) });
    expect((error as Error).message).toContain(file);
  });
});
