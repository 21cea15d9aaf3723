import { afterEach, describe, expect, test } from 'vitest';
import { loadOrCreatePostgresSecrets } from '../../config/postgres-secrets.js';
import { skipWithoutPostgres, type TestDatabase, usePostgres } from '../support/postgres.js';

describe.skipIf(skipWithoutPostgres)('platform secrets in PostgreSQL', () => {
  const postgres = usePostgres();
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  test('nodes starting together on an empty database all get the one secret the first created', async () => {
    database = await postgres.createDatabase();
    const url = database.url;
    const nodes = await Promise.all([1, 2, 3, 4].map(() => loadOrCreatePostgresSecrets({ url })));
    expect(nodes[0]!.serviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(nodes.map((n) => n.serviceToken)).size).toBe(1);
    expect(nodes.filter((n) => n.isNew)).toHaveLength(1);
    const later = await loadOrCreatePostgresSecrets({ url });
    expect(later).toEqual({ serviceToken: nodes[0]!.serviceToken, isNew: false });
  });

  test('the first node adopts a data directory’s secrets; later nodes read those, not their own', async () => {
    database = await postgres.createDatabase();
    const url = database.url;
    const adopted = 'a'.repeat(43);
    expect(await loadOrCreatePostgresSecrets({ url, adopt: { serviceToken: adopted, isNew: false } })).toEqual({
      serviceToken: adopted,
      isNew: false,
    });
    const other = await loadOrCreatePostgresSecrets({ url, adopt: { serviceToken: 'b'.repeat(43), isNew: false } });
    expect(other.serviceToken).toBe(adopted);
  });

  test('secrets changed into something invalid stop the start with SECRETS_INVALID', async () => {
    database = await postgres.createDatabase();
    const url = database.url;
    await loadOrCreatePostgresSecrets({ url });
    await postgres.psql(`UPDATE platform_secrets SET secrets = '{"serviceToken":"short"}'`, database.name);
    await expect(loadOrCreatePostgresSecrets({ url })).rejects.toMatchObject({ code: 'SECRETS_INVALID' });
  });

  test('an unreachable database stops the start with SECRETS_UNREADABLE', async () => {
    await expect(
      loadOrCreatePostgresSecrets({ url: `postgres://postgres@127.0.0.1:${postgres.port}/no_such_database` }),
    ).rejects.toMatchObject({ code: 'SECRETS_UNREADABLE', message: expect.stringContaining('no_such_database') });
  });
});
