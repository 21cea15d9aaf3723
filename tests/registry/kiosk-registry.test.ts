import Database from 'better-sqlite3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZodError } from 'zod';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { KioskInput } from '../../registry/kiosk.js';
import { type KioskRegistry, openKioskRegistry, RegistryError } from '../../registry/kiosk-registry.js';
import { hashToken } from '../../registry/tokens.js';

const machine = (id: string, overrides: Partial<KioskInput> = {}): KioskInput => ({
  id,
  name: `自助图书馆 ${id}`,
  district: '望京',
  lat: 39.99638,
  lon: 116.47044,
  ...overrides,
});

/** Runs `act` and returns the RegistryError it throws, failing the test if it throws anything else. */
function registryErrorOf(act: () => unknown): RegistryError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected a RegistryError, but nothing was thrown');
}

describe('the kiosk registry', () => {
  let dir: string;
  let file: string;
  const opened: KioskRegistry[] = [];
  const open = () => {
    const registry = openKioskRegistry(file);
    opened.push(registry);
    return registry;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-registry-'));
    file = join(dir, 'registry.sqlite');
  });
  afterEach(async () => {
    for (const registry of opened.splice(0)) {
      try {
        registry.close();
      } catch {
        // already closed by the test
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Every byte the registry wrote: the database and its WAL and shared-memory files. */
  async function registryBytes(): Promise<Buffer> {
    const names = await readdir(dir);
    return Buffer.concat(await Promise.all(names.map((name) => readFile(join(dir, name)))));
  }

  describe('provisioning a machine', () => {
    test('returns the record with defaults applied and a token that verifies', () => {
      const registry = open();
      const { kiosk, token } = registry.provision(machine('CY-071', { name: '  望京自助图书馆  ' }));
      expect(kiosk).toEqual({
        id: 'CY-071',
        name: '望京自助图书馆',
        district: '望京',
        lat: 39.99638,
        lon: 116.47044,
        lifecycle: 'active',
      });
      expect(registry.get('CY-071')).toEqual(kiosk);
      expect(registry.list()).toEqual([kiosk]);
      expect(registry.verifyToken('CY-071', token)).toBe(true);
      expect(registry.verifyToken('CY-071', Buffer.from(token))).toBe(true);
      expect(registry.verifyToken('CY-071', 'not-the-token')).toBe(false);
    });

    test('a token is valid only for the machine it was issued to', () => {
      const registry = open();
      const a = registry.provision(machine('CY-071'));
      const b = registry.provision(machine('CY-072'));
      expect(a.token).not.toBe(b.token);
      expect(registry.verifyToken('CY-072', a.token)).toBe(false);
      expect(registry.verifyToken('CY-071', b.token)).toBe(false);
    });

    test('the registry keeps only the SHA-256 of a token, never the token itself', async () => {
      const registry = open();
      const { token } = registry.provision(machine('CY-071'));
      const rotated = registry.rotateToken('CY-071');

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

      registry.close();
      const bytes = await registryBytes();
      expect(bytes.includes(hashToken(rotated))).toBe(true); // the check below reads the right bytes
      expect(bytes.includes(token)).toBe(false);
      expect(bytes.includes(rotated)).toBe(false);
    });

    test('an id already taken fails with KIOSK_EXISTS and leaves the first token valid', () => {
      const registry = open();
      const first = registry.provision(machine('CY-071'));
      const error = registryErrorOf(() => registry.provision(machine('CY-071', { name: 'Impostor' })));
      expect(error.code).toBe('KIOSK_EXISTS');
      expect(error.message).toContain('CY-071');
      expect(registry.get('CY-071')?.name).toBe(first.kiosk.name);
      expect(registry.verifyToken('CY-071', first.token)).toBe(true);
    });

    test.each<{ what: string; input: KioskInput; field: string }>([
      { what: 'an id with a slash (a topic level separator)', input: machine('CY/071'), field: 'id' },
      { what: 'an id with an MQTT wildcard', input: machine('CY-#'), field: 'id' },
      { what: 'a latitude of 200', input: machine('CY-071', { lat: 200 }), field: 'lat' },
      { what: 'a longitude of -181', input: machine('CY-071', { lon: -181 }), field: 'lon' },
      { what: 'a blank name', input: machine('CY-071', { name: '   ' }), field: 'name' },
      { what: 'an unknown lifecycle', input: machine('CY-071', { lifecycle: 'stolen' as never }), field: 'lifecycle' },
      { what: 'an unknown field', input: { ...machine('CY-071'), colour: 'red' } as KioskInput, field: '' },
    ])('$what is refused with a zod error and nothing is stored', ({ input, field }) => {
      const registry = open();
      let thrown: unknown;
      try {
        registry.provision(input);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ZodError);
      if (field) expect((thrown as ZodError).issues.map((i) => i.path[0])).toContain(field);
      expect(registry.list()).toEqual([]);
    });
  });

  describe('provisioning missing machines', () => {
    test('creates only the machines not yet registered and returns only those', () => {
      const registry = open();
      const existing = registry.provision(machine('CY-001'));
      const created = registry.provisionMissing([machine('CY-001', { name: 'renamed' }), machine('CY-002'), machine('CY-003')]);
      expect(created.map((p) => p.kiosk.id)).toEqual(['CY-002', 'CY-003']);
      for (const { kiosk, token } of created) expect(registry.verifyToken(kiosk.id, token)).toBe(true);
      expect(registry.get('CY-001')?.name).toBe(existing.kiosk.name);
      expect(registry.verifyToken('CY-001', existing.token)).toBe(true);
      expect(registry.list().map((k) => k.id)).toEqual(['CY-001', 'CY-002', 'CY-003']);
    });

    test('a second run with the same machines creates nothing', () => {
      const registry = open();
      const inputs = [machine('CY-001'), machine('CY-002')];
      expect(registry.provisionMissing(inputs)).toHaveLength(2);
      expect(registry.provisionMissing(inputs)).toEqual([]);
    });

    test('one invalid machine in the batch stores none of them', () => {
      const registry = open();
      expect(() => registry.provisionMissing([machine('CY-001'), machine('CY-002', { lat: 200 })])).toThrow(ZodError);
      expect(registry.list()).toEqual([]);
    });

    test('a batch naming the same new id twice is refused whole', () => {
      const registry = open();
      expect(
        registryErrorOf(() => registry.provisionMissing([machine('CY-001'), machine('CY-002'), machine('CY-002')])).code,
      ).toBe('KIOSK_EXISTS');
      expect(registry.list()).toEqual([]);
    });
  });

  describe('changing a machine', () => {
    test('rotating a token makes the old one invalid at once and the new one valid', () => {
      const registry = open();
      const { token: old } = registry.provision(machine('CY-071'));
      const fresh = registry.rotateToken('CY-071');
      expect(fresh).not.toBe(old);
      expect(registry.verifyToken('CY-071', old)).toBe(false);
      expect(registry.verifyToken('CY-071', fresh)).toBe(true);
    });

    test('a lifecycle change is returned, persisted and leaves the rest of the record alone', () => {
      const registry = open();
      const { kiosk, token } = registry.provision(machine('CY-071'));
      expect(registry.setLifecycle('CY-071', 'paused')).toEqual({ ...kiosk, lifecycle: 'paused' });
      registry.close();
      const reopened = open();
      expect(reopened.get('CY-071')).toEqual({ ...kiosk, lifecycle: 'paused' });
      expect(reopened.verifyToken('CY-071', token)).toBe(true);
    });

    test.each<{ what: string; act: (registry: KioskRegistry) => unknown }>([
      { what: 'rotating the token of', act: (r) => r.rotateToken('CY-404') },
      { what: 'changing the lifecycle of', act: (r) => r.setLifecycle('CY-404', 'withdrawn') },
    ])('$what an unknown machine fails with KIOSK_NOT_FOUND', ({ act }) => {
      const registry = open();
      registry.provision(machine('CY-071'));
      const error = registryErrorOf(() => act(registry));
      expect(error.code).toBe('KIOSK_NOT_FOUND');
      expect(error.message).toContain('CY-404');
      expect(registry.list().map((k) => k.id)).toEqual(['CY-071']);
    });

    test('an unknown machine has no record and no token verifies for it', () => {
      const registry = open();
      expect(registry.get('CY-404')).toBeUndefined();
      expect(registry.verifyToken('CY-404', 'anything')).toBe(false);
      expect(registry.verifyToken('CY-404', undefined)).toBe(false);
    });
  });

  describe('the registry file', () => {
    test('machines and tokens survive closing and reopening', () => {
      const first = open();
      const { kiosk, token } = first.provision(
        machine('CY-071', { model: 'ZZTS-I', installedOn: '2012-08-21', capacityBooks: 336 }),
      );
      first.close();
      const second = open();
      expect(second.list()).toEqual([kiosk]);
      expect(second.verifyToken('CY-071', token)).toBe(true);
    });

    test('two registries on the same file (broker and collector processes) see each other’s writes', () => {
      const broker = open();
      const collector = open();
      const { token } = collector.provision(machine('CY-071'));
      expect(broker.verifyToken('CY-071', token)).toBe(true);

      const rotated = collector.rotateToken('CY-071');
      expect(broker.verifyToken('CY-071', token)).toBe(false);
      expect(broker.verifyToken('CY-071', rotated)).toBe(true);

      broker.setLifecycle('CY-071', 'reserve');
      expect(collector.get('CY-071')?.lifecycle).toBe('reserve');
      expect(registryErrorOf(() => broker.provision(machine('CY-071'))).code).toBe('KIOSK_EXISTS');
    });

    test('a registry that cannot be opened fails with REGISTRY_UNAVAILABLE', () => {
      // The registry's path is taken by a directory, so SQLite cannot open it as a file.
      const error = registryErrorOf(() => openKioskRegistry(dir));
      expect(error.code).toBe('REGISTRY_UNAVAILABLE');
      expect(error.cause).toBeDefined();
    });
  });
});
