import { afterEach, describe, expect, test } from 'vitest';
import type { KioskRegistry } from '../../registry/kiosk-registry.js';
import { openPostgresKioskRegistry } from '../../registry/postgres-kiosk-registry.js';
import { hashToken } from '../../registry/tokens.js';
import { describeKioskRegistryContract, machine } from '../contract/kiosk-registry-contract.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../support/postgres.js';

describe.skipIf(skipWithoutPostgres)('the kiosk registry in PostgreSQL', () => {
  const postgres = usePostgres();

  describeKioskRegistryContract('PostgreSQL', async () => {
    const database = await postgres.createDatabase();
    return { open: () => openPostgresKioskRegistry({ url: database.url }), cleanup: () => database.drop() };
  });

  describe('on a database of its own', () => {
    let database: TestDatabase | undefined;
    const registries: KioskRegistry[] = [];
    afterEach(async () => {
      for (const registry of registries.splice(0)) await registry.close();
      await database?.drop();
      database = undefined;
    });
    async function open(errors: unknown[] = []): Promise<KioskRegistry> {
      database ??= await postgres.createDatabase();
      const registry = await openPostgresKioskRegistry({ url: database.url, onFollowError: (e) => errors.push(e) });
      registries.push(registry);
      return registry;
    }

    test('the database keeps only the SHA-256 of a token', async () => {
      const registry = await open();
      const { token } = await registry.provision(machine('CY-071'));
      const stored = await postgres.psql("SELECT token_hash || ' ' || record FROM kiosks", database!.name);
      expect(stored).toContain(hashToken(token));
      expect(stored).not.toContain(token);
    });

    test('a revocation typed by hand in psql is followed and announced like one made through a node', async () => {
      const registry = await open();
      const { token } = await registry.provision(machine('CY-001'));
      const heard: string[] = [];
      registry.onCredentialsChanged((id, change) => heard.push(`${id} ${change}`));
      await postgres.psql("UPDATE kiosks SET token_hash = 'revoked' WHERE id = 'CY-001'", database!.name);
      await expect.poll(() => heard, { timeout: 1_000 }).toEqual(['CY-001 revoked']);
      expect(registry.verifyToken('CY-001', token)).toBe(false);
    });

    test('a lost listening connection is made again and what changed meanwhile is read and announced', async () => {
      const errors: unknown[] = [];
      const registry = await open(errors);
      const other = await open();
      const { token } = await registry.provision(machine('CY-001'));
      const heard: string[] = [];
      registry.onCredentialsChanged((id, change) => heard.push(`${id} ${change}`));
      // Ends this registry's listening connection (the server's idea of a network cut).
      await postgres.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kiosk-fleet registry changes'",
        database!.name,
      );
      await other.revoke('CY-001');
      await expect.poll(() => heard, { timeout: 10_000 }).toEqual(['CY-001 revoked']);
      expect(registry.verifyToken('CY-001', token)).toBe(false);
      expect(errors.length).toBeGreaterThan(0);
    });

    test('several nodes opening an empty database together migrate it once', async () => {
      database = await postgres.createDatabase();
      const opened = await Promise.all([open(), open(), open()]);
      expect(opened).toHaveLength(3);
      expect(await postgres.psql("SELECT count(*) FROM schema_migrations WHERE component = 'registry'", database.name)).toBe('1');
    });

    test('a database that cannot be reached fails the open with REGISTRY_UNAVAILABLE', async () => {
      await expect(
        openPostgresKioskRegistry({ url: `postgres://postgres@127.0.0.1:${postgres.port}/no_such_database` }),
      ).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringContaining('no_such_database') });
    });
  });
});
