import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { createPostgresPool, inTransaction } from '../../config/postgres-pool.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';

describe.skipIf(skipWithoutPostgres)('PostgreSQL pool', () => {
  const postgres = usePostgres();
  const pools: pg.Pool[] = [];
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.end();
  });

  test('a connection lost in the middle of a transaction fails the transaction, not the process, and is not reused', async () => {
    const database = await postgres.createDatabase();
    const pool = createPostgresPool({ url: database.url, applicationName: 'test', maxConnections: 1 });
    pools.push(pool);
    let lostPid = 0;

    const transaction = inTransaction(pool, async (client) => {
      lostPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // Between two statements, with none in flight: the server ends this connection.
      await postgres.psql(`SELECT pg_terminate_backend(${lostPid})`);
      await expect
        .poll(async () => {
          try {
            await client.query('SELECT 1');
            return 'alive';
          } catch {
            return 'lost';
          }
        })
        .toBe('lost');
      await client.query('SELECT 1');
    });

    await expect(transaction).rejects.toThrow();
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(rows[0]!.pid).not.toBe(lostPid);
    await database.drop();
  });

  test('int8 values are numbers, and one beyond 2^53 is an error rather than a rounded number', async () => {
    const pool = createPostgresPool({ url: postgres.adminUrl, applicationName: 'test' });
    pools.push(pool);

    expect((await pool.query('SELECT 9007199254740991::bigint AS n')).rows[0]).toEqual({ n: 9_007_199_254_740_991 });
    await expect(pool.query('SELECT 9007199254740993::bigint AS n')).rejects.toThrow(/beyond the safe integer range/);
  });
});
