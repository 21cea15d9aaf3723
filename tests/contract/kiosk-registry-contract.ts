import { ZodError } from 'zod';
import { afterEach, describe, expect, test } from 'vitest';
import type { KioskInput } from '../../registry/kiosk.js';
import { type KioskRegistry, RegistryError } from '../../registry/kiosk-registry.js';

/**
 * Storage for registries, empty at first: `open` gives a new registry instance on it (another
 * process, another node); `cleanup` removes the storage once every instance is closed.
 */
export type OpenRegistryStorage = () => Promise<{ open(): Promise<KioskRegistry>; cleanup(): Promise<void> }>;

export const machine = (id: string, overrides: Partial<KioskInput> = {}): KioskInput => ({
  id,
  name: `自助图书馆 ${id}`,
  district: '望京',
  lat: 39.99638,
  lon: 116.47044,
  ...overrides,
});

/** The RegistryError `act` fails with, failing the test if it fails with anything else or not at all. */
export async function registryErrorOf(act: () => Promise<unknown>): Promise<RegistryError> {
  try {
    await act();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected a RegistryError, but nothing was thrown');
}

/** Behaviour every KioskRegistry adapter must show; each test opens its own empty storage. */
export function describeKioskRegistryContract(name: string, openStorage: OpenRegistryStorage): void {
  describe(`KioskRegistry contract: ${name}`, () => {
    const instances: KioskRegistry[] = [];
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const registry of instances.splice(0)) await registry.close().catch(() => undefined);
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });
    /** A storage and a function opening instances on it, each closed after the test. */
    async function storage(): Promise<() => Promise<KioskRegistry>> {
      const { open, cleanup } = await openStorage();
      cleanups.push(cleanup);
      return async () => {
        const registry = await open();
        instances.push(registry);
        return registry;
      };
    }
    const open = async () => (await storage())();

    describe('provisioning a machine', () => {
      test('returns the record with defaults applied and a token that verifies', async () => {
        const registry = await open();
        const { kiosk, token } = await registry.provision(machine('CY-071', { name: '  望京自助图书馆  ' }));
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

      test('a token is valid only for the machine it was issued to', async () => {
        const registry = await open();
        const a = await registry.provision(machine('CY-071'));
        const b = await registry.provision(machine('CY-072'));
        expect(a.token).not.toBe(b.token);
        expect(registry.verifyToken('CY-072', a.token)).toBe(false);
        expect(registry.verifyToken('CY-071', b.token)).toBe(false);
      });

      test('the list is ordered by id', async () => {
        const registry = await open();
        for (const id of ['CY-b', 'CY-B', 'CY-a', 'CY-10', 'CY-9']) await registry.provision(machine(id));
        expect(registry.list().map((k) => k.id)).toEqual(['CY-10', 'CY-9', 'CY-B', 'CY-a', 'CY-b']);
      });

      test('an id already taken fails with KIOSK_EXISTS and leaves the first token valid', async () => {
        const registry = await open();
        const first = await registry.provision(machine('CY-071'));
        const error = await registryErrorOf(() => registry.provision(machine('CY-071', { name: 'Impostor' })));
        expect(error.code).toBe('KIOSK_EXISTS');
        expect(error.message).toContain('CY-071');
        expect(registry.get('CY-071')?.name).toBe(first.kiosk.name);
        expect(registry.verifyToken('CY-071', first.token)).toBe(true);
      });

      test.each<{ what: string; input: KioskInput; field: string }>([
        { what: 'an id with a slash (a topic level separator)', input: machine('CY/071'), field: 'id' },
        { what: 'a latitude of 200', input: machine('CY-071', { lat: 200 }), field: 'lat' },
        { what: 'an unknown lifecycle', input: machine('CY-071', { lifecycle: 'stolen' as never }), field: 'lifecycle' },
        { what: 'an unknown field', input: { ...machine('CY-071'), colour: 'red' } as KioskInput, field: '' },
      ])('$what is refused with a zod error and nothing is stored', async ({ input, field }) => {
        const registry = await open();
        const thrown = await registry.provision(input).catch((error: unknown) => error);
        expect(thrown).toBeInstanceOf(ZodError);
        if (field) expect((thrown as ZodError).issues.map((i) => i.path[0])).toContain(field);
        expect(registry.list()).toEqual([]);
      });
    });

    describe('provisioning missing machines', () => {
      test('creates only the machines not yet registered and returns only those', async () => {
        const registry = await open();
        const existing = await registry.provision(machine('CY-001'));
        const created = await registry.provisionMissing([
          machine('CY-001', { name: 'renamed' }),
          machine('CY-002'),
          machine('CY-003'),
        ]);
        expect(created.map((p) => p.kiosk.id)).toEqual(['CY-002', 'CY-003']);
        for (const { kiosk, token } of created) expect(registry.verifyToken(kiosk.id, token)).toBe(true);
        expect(registry.get('CY-001')?.name).toBe(existing.kiosk.name);
        expect(registry.verifyToken('CY-001', existing.token)).toBe(true);
        expect(registry.list().map((k) => k.id)).toEqual(['CY-001', 'CY-002', 'CY-003']);
      });

      test('a second run with the same machines creates nothing', async () => {
        const registry = await open();
        const inputs = [machine('CY-001'), machine('CY-002')];
        expect(await registry.provisionMissing(inputs)).toHaveLength(2);
        expect(await registry.provisionMissing(inputs)).toEqual([]);
      });

      test('one invalid machine in the batch stores none of them', async () => {
        const registry = await open();
        await expect(registry.provisionMissing([machine('CY-001'), machine('CY-002', { lat: 200 })])).rejects.toThrow(ZodError);
        expect(registry.list()).toEqual([]);
      });

      test('a batch naming the same new id twice is refused whole', async () => {
        const registry = await open();
        const error = await registryErrorOf(() =>
          registry.provisionMissing([machine('CY-001'), machine('CY-002'), machine('CY-002')]),
        );
        expect(error.code).toBe('KIOSK_EXISTS');
        expect(registry.list()).toEqual([]);
      });
    });

    describe('changing a machine', () => {
      test('rotating a token makes the old one invalid at once and the new one valid', async () => {
        const registry = await open();
        const { token: old } = await registry.provision(machine('CY-071'));
        const fresh = await registry.rotateToken('CY-071');
        expect(fresh).not.toBe(old);
        expect(registry.verifyToken('CY-071', old)).toBe(false);
        expect(registry.verifyToken('CY-071', fresh)).toBe(true);
      });

      test('a lifecycle change is returned, persisted and leaves the rest of the record alone', async () => {
        const openInstance = await storage();
        const registry = await openInstance();
        const { kiosk, token } = await registry.provision(machine('CY-071'));
        expect(await registry.setLifecycle('CY-071', 'paused')).toEqual({ ...kiosk, lifecycle: 'paused' });
        expect(registry.get('CY-071')).toEqual({ ...kiosk, lifecycle: 'paused' });
        await registry.close();
        const reopened = await openInstance();
        expect(reopened.get('CY-071')).toEqual({ ...kiosk, lifecycle: 'paused' });
        expect(reopened.verifyToken('CY-071', token)).toBe(true);
      });

      test('hiding a machine from the status page, and showing it again', async () => {
        const registry = await open();
        const { kiosk } = await registry.provision(machine('CY-071'));
        expect(await registry.setHiddenFromStatusPage('CY-071', true)).toEqual({ ...kiosk, isHiddenFromStatusPage: true });
        expect(registry.get('CY-071')?.isHiddenFromStatusPage).toBe(true);
        expect(await registry.setHiddenFromStatusPage('CY-071', false)).toEqual(kiosk);
        expect(registry.get('CY-071')).toEqual(kiosk);
      });

      test.each<{ what: string; act: (registry: KioskRegistry) => Promise<unknown> }>([
        { what: 'rotating the token of', act: (r) => r.rotateToken('CY-404') },
        { what: 'revoking', act: (r) => r.revoke('CY-404') },
        { what: 'changing the lifecycle of', act: (r) => r.setLifecycle('CY-404', 'withdrawn') },
        { what: 'hiding', act: (r) => r.setHiddenFromStatusPage('CY-404', true) },
      ])('$what an unknown machine fails with KIOSK_NOT_FOUND and changes nothing', async ({ act }) => {
        const registry = await open();
        await registry.provision(machine('CY-071'));
        const heard: string[] = [];
        registry.onCredentialsChanged((id) => heard.push(id));
        const error = await registryErrorOf(() => act(registry));
        expect(error.code).toBe('KIOSK_NOT_FOUND');
        expect(error.message).toContain('CY-404');
        expect(registry.list().map((k) => k.id)).toEqual(['CY-071']);
        expect(registry.isRevoked('CY-404')).toBe(false);
        expect(heard).toEqual([]);
      });

      test('an unknown machine has no record and no token verifies for it', async () => {
        const registry = await open();
        expect(registry.get('CY-404')).toBeUndefined();
        expect(registry.verifyToken('CY-404', 'anything')).toBe(false);
        expect(registry.verifyToken('CY-404', undefined)).toBe(false);
      });
    });

    describe('revoking', () => {
      test('a revoked machine’s token stops working; no presented value matches, not even the marker', async () => {
        const registry = await open();
        const { token } = await registry.provision(machine('CY-001'));
        await registry.revoke('CY-001');
        expect(registry.verifyToken('CY-001', token)).toBe(false);
        expect(registry.isRevoked('CY-001')).toBe(true);
        for (const presented of ['', 'revoked', Buffer.alloc(0), Buffer.alloc(32)])
          expect(registry.verifyToken('CY-001', presented)).toBe(false);
      });

      test('a new token lets a revoked machine back in; the old one stays refused', async () => {
        const registry = await open();
        const { token: old } = await registry.provision(machine('CY-001'));
        await registry.revoke('CY-001');
        const fresh = await registry.rotateToken('CY-001');
        expect(registry.isRevoked('CY-001')).toBe(false);
        expect(registry.verifyToken('CY-001', fresh)).toBe(true);
        expect(registry.verifyToken('CY-001', old)).toBe(false);
      });

      test('listeners hear of every rotation and revocation once, until they unsubscribe', async () => {
        const registry = await open();
        await registry.provision(machine('CY-001'));
        const heard: string[] = [];
        const unsubscribe = registry.onCredentialsChanged((id, change) => heard.push(`${id} ${change}`));
        await registry.rotateToken('CY-001');
        await registry.revoke('CY-001');
        expect(heard).toEqual(['CY-001 rotated', 'CY-001 revoked']);
        unsubscribe();
        await registry.rotateToken('CY-001');
        await registry.setLifecycle('CY-001', 'paused');
        expect(heard).toEqual(['CY-001 rotated', 'CY-001 revoked']);
      });
    });

    describe('several instances on one storage (processes, nodes)', () => {
      test('machines and tokens survive closing and reopening', async () => {
        const openInstance = await storage();
        const first = await openInstance();
        const { kiosk, token } = await first.provision(
          machine('CY-071', { model: 'ZZTS-I', installedOn: '2012-08-21', capacityBooks: 336 }),
        );
        await first.close();
        const second = await openInstance();
        expect(second.list()).toEqual([kiosk]);
        expect(second.verifyToken('CY-071', token)).toBe(true);
      });

      test('each sees the others’ writes within a second', async () => {
        const openInstance = await storage();
        const broker = await openInstance();
        const collector = await openInstance();
        const { token } = await collector.provision(machine('CY-071'));
        await expect.poll(() => broker.verifyToken('CY-071', token)).toBe(true);

        const rotated = await collector.rotateToken('CY-071');
        await expect.poll(() => broker.verifyToken('CY-071', rotated)).toBe(true);
        expect(broker.verifyToken('CY-071', token)).toBe(false);

        await broker.setLifecycle('CY-071', 'reserve');
        await expect.poll(() => collector.get('CY-071')?.lifecycle).toBe('reserve');
        expect((await registryErrorOf(() => broker.provision(machine('CY-071')))).code).toBe('KIOSK_EXISTS');
      });

      test('a revocation on one instance fires the other’s listener once, and the other refuses the token', async () => {
        const openInstance = await storage();
        const nodeA = await openInstance();
        const nodeB = await openInstance();
        const { token } = await nodeA.provision(machine('CY-001'));
        await expect.poll(() => nodeB.verifyToken('CY-001', token)).toBe(true);
        const heardOnB: string[] = [];
        const heardOnA: string[] = [];
        nodeB.onCredentialsChanged((id, change) => heardOnB.push(`${id} ${change}`));
        nodeA.onCredentialsChanged((id, change) => heardOnA.push(`${id} ${change}`));

        await nodeA.revoke('CY-001');
        await expect.poll(() => heardOnB, { timeout: 1_000 }).toEqual(['CY-001 revoked']);
        expect(nodeB.verifyToken('CY-001', token)).toBe(false);
        expect(nodeB.isRevoked('CY-001')).toBe(true);

        // A later change is heard once more, and the revocation not again, on either side.
        await nodeA.rotateToken('CY-001');
        await expect.poll(() => heardOnB).toEqual(['CY-001 revoked', 'CY-001 rotated']);
        await expect.poll(() => heardOnA).toEqual(['CY-001 revoked', 'CY-001 rotated']);
      });
    });
  });
}
