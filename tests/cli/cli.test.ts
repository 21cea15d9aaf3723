import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CONFIG_KEYS } from '../../config/config.js';
import { DATA_FORMAT } from '../../datadir/format-stamp.js';
import { openKioskRegistry } from '../../registry/sqlite-kiosk-registry.js';

const PROJECT_ROOT = join(import.meta.dirname, '../..');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the test run without any platform setting, so only what a test sets counts. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of CONFIG_KEYS) delete env[key];
  return env;
}

/** Runs `kiosk-fleet <args>` as a real child process and waits for it to exit. */
async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...cleanEnv(), LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

const nonEmptyLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('the kiosk-fleet command line', () => {
  let dataDir: string;
  let registryFile: string;
  const cli = (...args: string[]) => runCli(args, { DATA_DIR: dataDir });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-cli-'));
    registryFile = join(dataDir, 'registry.sqlite');
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Reads the registry the CLI wrote, as another process would. */
  function withRegistry<T>(read: (registry: ReturnType<typeof openKioskRegistry>) => T): T {
    const registry = openKioskRegistry(registryFile);
    try {
      return read(registry);
    } finally {
      registry.close();
    }
  }

  describe('usage and settings', () => {
    test.each([[['help']], [[]], [['--help']]])('%j prints the usage and exits 0', async (args) => {
      const run = await cli(...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('kiosk-fleet <command>');
      for (const command of ['start', 'broker', 'collector', 'simulator', 'provision', 'import-kiosks'])
        expect(run.stdout).toContain(command);
      expect(run.stderr).toBe('');
    });

    test('--help lists every setting with its flag and its default, as the configuration schema declares them', async () => {
      const run = await cli('--help');
      expect(run.code).toBe(0);
      for (const key of CONFIG_KEYS)
        expect(run.stdout).toMatch(new RegExp(`^  ${key}  --${key.toLowerCase().replace(/_/g, '-')}  \\(default: `, 'm'));
      for (const line of [
        'PORT  --port  (default: 3000)',
        'MQTTS_PORT  --mqtts-port  (default: off)',
        'ESCALATION_STEPS  --escalation-steps  (default: 50,80,100)',
        'BACKUP_EVERY  --backup-every  (default: 1d)',
        'EVENT_RETENTION_DAYS  --event-retention-days  (default: forever)',
        'BACKUP_DIR  --backup-dir  (default: unset)',
      ])
        expect(run.stdout).toContain(line);
    });

    test.each(['backup', 'restore', 'start', 'provision'])(
      '`%s --help` tells the command and every setting, and does nothing',
      async (command) => {
        const run = await cli(command, '--help');
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(new RegExp(`^kiosk-fleet ${command}`));
        for (const key of CONFIG_KEYS) expect(run.stdout).toContain(`  ${key}  `);
        expect(await readdir(dataDir)).toEqual([]);
      },
    );

    test('an unknown command exits 2 with a message naming it', async () => {
      const run = await cli('frobnicate');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('unknown command "frobnicate"');
      expect(run.stdout).toBe('');
    });

    test.each<{ what: string; args: string[]; env: Record<string, string>; names: string }>([
      { what: '--port=99999', args: ['start', '--port=99999'], env: {}, names: 'PORT' },
      { what: 'PORT=99999 in the environment', args: ['start'], env: { PORT: '99999' }, names: 'PORT' },
      { what: 'FLEET_TZ=Mars/Base in the environment', args: ['broker'], env: { FLEET_TZ: 'Mars/Base' }, names: 'FLEET_TZ' },
      { what: 'the unknown flag --colour=red', args: ['start', '--colour=red'], env: {}, names: 'unknown option --colour' },
    ])('a bad setting ($what) exits 2 with one line naming it, before anything is written', async ({ args, env, names }) => {
      const run = await runCli(args, { DATA_DIR: dataDir, ...env });
      expect(run.code).toBe(2);
      const lines = nonEmptyLines(run.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(names);
      expect(lines[0]).toMatch(/^kiosk-fleet: /);
      expect(await readdir(dataDir)).toEqual([]);
    });

    test('a bad setting given as `--port 99999` exits 2 with one line naming PORT', async () => {
      const run = await cli('start', '--port', '99999');
      expect(run.code).toBe(2);
      const lines = nonEmptyLines(run.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('PORT');
    });
  });

  describe('backup, restore and data written by a newer release', () => {
    test('backup writes one file that restore unpacks into an empty directory, and refuses a non-empty one', async () => {
      expect((await cli('provision', '--id=CY-900', '--name=X', '--district=D', '--lat=39.9', '--lon=116.4')).code).toBe(0);
      const file = join(dataDir, '..', `${basename(dataDir)}.tar.gz`);
      try {
        const backup = await cli('backup', file);
        expect(backup.code).toBe(0);
        const refused = await cli('restore', file);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('[DATA_DIR_NOT_EMPTY]');
        const target = `${dataDir}-restored`;
        const restored = await runCli(['restore', file], { DATA_DIR: target });
        try {
          expect(restored.code).toBe(0);
          const registry = openKioskRegistry(join(target, 'registry.sqlite'));
          try {
            expect(registry.get('CY-900')?.name).toBe('X');
          } finally {
            registry.close();
          }
        } finally {
          await rm(target, { recursive: true, force: true });
        }
      } finally {
        await rm(file, { force: true });
      }
    });

    test('a data directory stamped by a newer release is refused with a clear message, and left as it was', async () => {
      await writeFile(join(dataDir, 'data-format.json'), JSON.stringify({ dataFormat: DATA_FORMAT + 1 }));
      const run = await cli('provision', '--id=CY-900', '--name=X', '--district=D', '--lat=39.9', '--lon=116.4');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`written by a newer kiosk-fleet (data format ${DATA_FORMAT + 1})`);
      expect(run.stderr).toContain('[DATA_DIR_TOO_NEW]');
      expect(await readdir(dataDir)).toEqual(['data-format.json']);
    });
  });

  describe('provision', () => {
    const PROVISION_ARGS = ['--id=CY-900', '--name=X', '--district=D', '--lat=39.9', '--lon=116.4'];

    test('registers a machine and prints its MQTT credentials once, with a token the registry verifies', async () => {
      const run = await cli(
        'provision',
        ...PROVISION_ARGS,
        '--name-en=Wangjing',
        '--installed=2020-05-01',
        '--capacity-books=400',
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.stdout) as { id: string; username: string; clientId: string; token: string };
      expect(printed).toEqual({
        id: 'CY-900',
        username: 'CY-900',
        clientId: 'CY-900',
        token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as string,
      });
      withRegistry((registry) => {
        expect(registry.verifyToken('CY-900', printed.token)).toBe(true);
        expect(registry.get('CY-900')).toEqual({
          id: 'CY-900',
          name: 'X',
          nameEn: 'Wangjing',
          district: 'D',
          lat: 39.9,
          lon: 116.4,
          installedOn: '2020-05-01',
          capacityBooks: 400,
          lifecycle: 'active',
        });
      });
    });

    test('provisioning an id already taken exits non-zero with KIOSK_EXISTS and keeps the first token', async () => {
      const first = await cli('provision', ...PROVISION_ARGS);
      expect(first.code).toBe(0);
      const { token } = JSON.parse(first.stdout) as { token: string };

      const second = await cli('provision', ...PROVISION_ARGS);
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain('KIOSK_EXISTS');
      expect(second.stdout).toBe('');
      withRegistry((registry) => {
        expect(registry.list().map((k) => k.id)).toEqual(['CY-900']);
        expect(registry.verifyToken('CY-900', token)).toBe(true);
      });
    });

    test.each<{ what: string; args: string[]; names: string }>([
      {
        what: 'a latitude of 200',
        args: ['--id=CY-900', '--name=X', '--district=D', '--lat=200', '--lon=116.4'],
        names: '--lat',
      },
      { what: 'a missing name', args: ['--id=CY-900', '--district=D', '--lat=39.9', '--lon=116.4'], names: '--name' },
      {
        what: 'an id with a slash',
        args: ['--id=CY/900', '--name=X', '--district=D', '--lat=39.9', '--lon=116.4'],
        names: '--id',
      },
    ])('a machine with $what exits 2 naming the flag and registers nothing', async ({ args, names }) => {
      const run = await cli('provision', ...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(names);
      withRegistry((registry) => expect(registry.list()).toEqual([]));
    });

    test('a bad --installed date is reported under the flag --installed', async () => {
      const run = await cli('provision', ...PROVISION_ARGS, '--installed=2020-13-01');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--installed:');
    });

    test('`provision --id CY-900 --name X --district D --lat 39.9 --lon 116.4` prints a token that verifies', async () => {
      const run = await cli('provision', '--id', 'CY-900', '--name', 'X', '--district', 'D', '--lat', '39.9', '--lon', '116.4');
      expect(run.code).toBe(0);
      const { token } = JSON.parse(run.stdout) as { token: string };
      withRegistry((registry) => expect(registry.verifyToken('CY-900', token)).toBe(true));
    });
  });

  describe('import-kiosks', () => {
    test('registers the reference fleet, printing id,token for each of its 70 machines; a second import registers none', async () => {
      const first = await cli('import-kiosks', 'reference/reference-fleet.csv');
      expect(first.code).toBe(0);
      const [header, ...rows] = nonEmptyLines(first.stdout);
      expect(header).toBe('id,token');
      expect(rows).toHaveLength(70);
      const tokens = new Map(rows.map((row) => row.split(',') as [string, string]));
      expect([...tokens.keys()]).toEqual(Array.from({ length: 70 }, (_, i) => `CY-${String(i + 1).padStart(3, '0')}`));
      expect(first.stderr).toContain('70 machine(s) registered, 0 already known');

      const second = await cli('import-kiosks', 'reference/reference-fleet.csv');
      expect(second.code).toBe(0);
      expect(nonEmptyLines(second.stdout)).toEqual(['id,token']);
      expect(second.stderr).toContain('0 machine(s) registered, 70 already known');

      withRegistry((registry) => {
        expect(registry.list()).toHaveLength(70);
        for (const [id, token] of tokens) expect(registry.verifyToken(id, token)).toBe(true);
      });
    });

    test('a file with one bad row imports nothing and names the line', async () => {
      const file = join(dataDir, 'machines.csv');
      await writeFile(
        file,
        [
          'id,name,district,lat,lon',
          'CY-901,A,望京,39.9,116.4',
          'CY-902,B,望京,north,116.4',
          'CY-903,C,望京,39.9,116.4',
          '',
        ].join('\n'),
      );
      const run = await cli('import-kiosks', file);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`${file}:3: lat`);
      expect(run.stderr).toContain('nothing imported');
      expect(existsSync(registryFile)).toBe(false);
    });

    test('import-kiosks without a file exits 2 saying it needs one', async () => {
      const run = await cli('import-kiosks');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('needs a CSV file path');
    });

    test('a file that does not exist exits non-zero naming it, and registers nothing', async () => {
      const run = await cli('import-kiosks', join(dataDir, 'missing.csv'));
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('missing.csv');
      expect(existsSync(registryFile)).toBe(false);
    });
  });
});
