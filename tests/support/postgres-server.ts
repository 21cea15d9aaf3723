import { execFile, execFileSync } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A real PostgreSQL server of its own: a cluster in a temporary directory, on a free loopback
 * port, trust authentication, stopped and removed by `stop()`. Debian's `postgresql` package
 * provides the binaries (`/usr/lib/postgresql/<major>/bin`); POSTGRES_BIN_DIR points elsewhere.
 * The server refuses to run as root, so as root it runs as the `postgres` user. Free of vitest, so
 * the benchmarks start it too (bench/cluster.ts); tests use `usePostgres` (./postgres.ts).
 */

const run = promisify(execFile);
const DEBIAN_ROOT = '/usr/lib/postgresql';
const SERVER_USER = 'postgres';

/** The directory holding initdb, pg_ctl and psql, or why there is none. */
function findBinaries(): { binDir: string } | { missing: string } {
  const override = process.env.POSTGRES_BIN_DIR;
  if (override) {
    return existsSync(join(override, 'initdb')) ? { binDir: override } : { missing: `no initdb in POSTGRES_BIN_DIR=${override}` };
  }
  if (!existsSync(DEBIAN_ROOT)) return { missing: `${DEBIAN_ROOT} not found (apt-get install postgresql)` };
  const majors = execFileSync('ls', [DEBIAN_ROOT], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => /^\d+$/.test(name) && existsSync(join(DEBIAN_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined
    ? { missing: `no initdb under ${DEBIAN_ROOT}` }
    : { binDir: join(DEBIAN_ROOT, majors[0], 'bin') };
}

/** As root the server runs as `postgres`: its numeric ids, for the directory it must own. */
function serverAccount(): { uid: number; gid: number } | null | { missing: string } {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', SERVER_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gid = Number(execFileSync('id', ['-g', SERVER_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return { uid, gid };
  } catch {
    return { missing: `running as root and there is no ${SERVER_USER} user to run the server` };
  }
}

const binaries = findBinaries();
const account = serverAccount();
const missingReason =
  'missing' in binaries ? binaries.missing : account !== null && 'missing' in account ? account.missing : undefined;

/** Why no server can be started here (binaries or the server's account missing), or undefined. */
export const postgresMissingReason = missingReason;

export interface TestDatabase {
  /** `postgres://postgres@127.0.0.1:PORT/NAME`. */
  url: string;
  name: string;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

export interface TestPostgres {
  /** The server's port on 127.0.0.1. */
  readonly port: number;
  /** URL of the cluster's `postgres` database (for administration in a test). */
  readonly adminUrl: string;
  /**
   * A new empty database; dropped by `drop()` or with the whole cluster in afterAll. Its collation
   * is the cluster's (C) unless `icuLocale` asks for a natural-language one (`en-US`).
   */
  createDatabase(options?: { icuLocale?: string }): Promise<TestDatabase>;
  /** Runs SQL through psql and returns its unaligned, tuples-only output. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server and keeps its data: a database outage. */
  stopServer(): Promise<void>;
  /** Starts the stopped server again, on the same port. */
  startServer(): Promise<void>;
}

interface Cluster {
  dir: string;
  dataDir: string;
  port: number;
  durable: boolean;
}

export interface PostgresClusterOptions {
  /**
   * fsync and full-page writes on, and buffers of a production server's order (256 MB), for a
   * benchmark; by default a throwaway test server that never syncs.
   */
  durable?: boolean;
}

/** The program as the account that may run the server: itself, or through runuser as root. */
function asServerUser(program: string, args: string[]): [string, string[]] {
  return account === null ? [program, args] : ['runuser', ['-u', SERVER_USER, '--', program, ...args]];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The last lines of the server's log, for an error that says why it did not start. */
async function logTail(dir: string): Promise<string> {
  const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
  return log.split('\n').slice(-15).join('\n');
}

async function startCluster(binDir: string, durable: boolean): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-pg-'));
  const dataDir = join(dir, 'data');
  if (account !== null && !('missing' in account)) await chown(dir, account.uid, account.gid);
  const cluster: Cluster = { dir, dataDir, port: 0, durable };
  try {
    // C collation and UTF-8 whatever the machine's locale; --no-sync: the cluster is thrown away.
    await run(
      ...asServerUser(join(binDir, 'initdb'), [
        '-D',
        dataDir,
        '-A',
        'trust',
        '-U',
        SERVER_USER,
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ]),
      { cwd: dir },
    );
    // A free port can be taken between finding it and binding it (other test files start clusters
    // too): try a few.
    for (let attempt = 1; ; attempt += 1) {
      cluster.port = await freePort();
      try {
        await startServer(binDir, cluster);
        return cluster;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await removeCluster(binDir, cluster);
    throw error;
  }
}

/** Starts the cluster's server on `cluster.port`; on failure, kills what started and says why. */
async function startServer(binDir: string, cluster: Cluster): Promise<void> {
  const options = [
    `-p ${cluster.port}`,
    `-k ${cluster.dir}`,
    '-c listen_addresses=127.0.0.1',
    // A throwaway server on a shared 2-core machine: no fsync, small buffers (unless durable).
    cluster.durable
      ? '-c shared_buffers=256MB -c max_connections=200'
      : '-c fsync=off -c full_page_writes=off -c shared_buffers=32MB',
  ].join(' ');
  const log = join(cluster.dir, 'server.log');
  try {
    await run(
      ...asServerUser(join(binDir, 'pg_ctl'), ['-D', cluster.dataDir, '-l', log, '-o', options, '-w', '-t', '60', 'start']),
      {
        cwd: cluster.dir,
      },
    );
  } catch (error) {
    await killServer(cluster);
    throw new Error(`PostgreSQL did not start:\n${await logTail(cluster.dir)}`, { cause: error });
  }
}

/** A fast shutdown: open connections are closed, the data stays. */
async function stopServer(binDir: string, cluster: Cluster): Promise<void> {
  await run(...asServerUser(join(binDir, 'pg_ctl'), ['-D', cluster.dataDir, '-m', 'fast', '-w', '-t', '20', 'stop']), {
    cwd: cluster.dir,
  });
}

/** The postmaster's pid, from the file it writes while it runs. */
async function postmasterPid(cluster: Cluster): Promise<number | undefined> {
  const text = await readFile(join(cluster.dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends the server's whole process group whatever state it is in. pg_ctl starts the postmaster in a
 * session of its own (setsid), so the postmaster's pid is the group of every backend it forked.
 */
async function killServer(cluster: Cluster): Promise<void> {
  const pid = await postmasterPid(cluster);
  if (pid === undefined || !isAlive(pid)) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone, or not a group leader: the other target covers it.
    }
  }
}

/** A fast shutdown (connections closed, no recovery needed), then a kill of what is left, then the directory. */
async function removeCluster(binDir: string, cluster: Cluster): Promise<void> {
  try {
    if (existsSync(join(cluster.dataDir, 'postmaster.pid'))) await stopServer(binDir, cluster).catch(() => undefined);
  } finally {
    await killServer(cluster);
    await rm(cluster.dir, { recursive: true, force: true });
  }
}

/** A running cluster, for a test or bench that manages its own lifetime (most tests use `usePostgres`). */
export interface PostgresCluster extends TestPostgres {
  /** The cluster's directory (data, socket, log). */
  readonly dir: string;
  /** The postmaster's pid, the leader of the server's process group. */
  serverPid(): Promise<number | undefined>;
  /** Stops the server (fast, then kill of its group) and removes the directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a cluster; fails with the reason when PostgreSQL is missing. */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  if ('missing' in binaries) throw new Error(`PostgreSQL is required: ${binaries.missing}`);
  if (account !== null && 'missing' in account) throw new Error(`PostgreSQL is required: ${account.missing}`);
  const { binDir } = binaries;
  const cluster = await startCluster(binDir, options.durable ?? false);
  let databases = 0;
  let stopping: Promise<void> | undefined;

  const psql = async (sql: string, database = 'postgres'): Promise<string> => {
    const { stdout } = await run(join(binDir, 'psql'), [
      ...['-h', '127.0.0.1', '-p', String(cluster.port), '-U', SERVER_USER, '-d', database],
      ...['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    ]);
    return stdout.trim();
  };

  return {
    dir: cluster.dir,
    port: cluster.port,
    adminUrl: `postgres://${SERVER_USER}@127.0.0.1:${cluster.port}/postgres`,
    psql,
    serverPid: () => postmasterPid(cluster),
    async createDatabase(options = {}) {
      databases += 1;
      const name = `kiosk_fleet_test_${databases}`;
      const collation = options.icuLocale
        ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale.replaceAll("'", '')}'`
        : '';
      await psql(`CREATE DATABASE ${name}${collation} STRATEGY FILE_COPY`);
      return {
        name,
        url: `postgres://${SERVER_USER}@127.0.0.1:${cluster.port}/${name}`,
        drop: async () => void (await psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
      };
    },
    stop: () => (stopping ??= removeCluster(binDir, cluster)),
    stopServer: () => stopServer(binDir, cluster),
    startServer: () => startServer(binDir, cluster),
  };
}
