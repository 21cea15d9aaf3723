import { existsSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { type PostgresCluster, skipWithoutPostgres, startPostgresCluster } from './postgres.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The test support itself: a cluster per test file, gone without a trace afterwards. */
describe.skipIf(skipWithoutPostgres)('a PostgreSQL cluster for tests', () => {
  const clusters: PostgresCluster[] = [];
  afterEach(async () => {
    for (const cluster of clusters.splice(0)) await cluster.stop();
  });
  async function start(): Promise<PostgresCluster> {
    const cluster = await startPostgresCluster();
    clusters.push(cluster);
    return cluster;
  }

  test('it listens on 127.0.0.1 only, and each database it creates is new and empty', async () => {
    const pg = await start();

    expect(await pg.psql('SHOW listen_addresses')).toBe('127.0.0.1');
    const first = await pg.createDatabase();
    const second = await pg.createDatabase();
    expect(first.name).not.toBe(second.name);
    await pg.psql('CREATE TABLE marker (id int)', first.name);
    expect(await pg.psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`, second.name)).toBe('0');
    await first.drop();
    expect(await pg.psql(`SELECT count(*) FROM pg_database WHERE datname = '${first.name}'`)).toBe('0');
  });

  test('stopping ends the server and all its backends, and removes the directory', async () => {
    const pg = await start();
    const pid = (await pg.serverPid())!;
    const backends = (await pg.psql(`SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'`))
      .split('\n')
      .map(Number);
    expect(backends.length).toBeGreaterThan(0);

    await pg.stop();

    expect(existsSync(pg.dir)).toBe(false);
    // The postmaster removes its pid file just before it exits: its end is waited for, not assumed.
    await expect.poll(() => [pid, ...backends].filter(isAlive)).toEqual([]);
  });

  test('a server killed with SIGKILL is still cleaned up: its orphaned backends end and the directory goes', async () => {
    const pg = await start();
    const pid = (await pg.serverPid())!;
    const backends = (await pg.psql(`SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'`))
      .split('\n')
      .map(Number);
    process.kill(pid, 'SIGKILL');

    await pg.stop();

    expect(existsSync(pg.dir)).toBe(false);
    await expect.poll(() => [pid, ...backends].filter(isAlive)).toEqual([]);
  });
});
