import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startPlatform } from '../../platform/index.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const SECRETS = { serviceToken: 'x'.repeat(43), adminToken: 'y'.repeat(43) };

/** Ways to spoil the data directory so the platform cannot know who may connect. */
const SPOILERS: Array<[string, (dir: string) => Promise<unknown>, { code: string; message: RegExp }]> = [
  [
    'a registry that is not a database',
    (dir) => writeFile(join(dir, 'registry.sqlite'), Buffer.alloc(4096, 0x42)),
    { code: 'REGISTRY_UNAVAILABLE', message: /registry\.sqlite: file is not a database/ },
  ],
  [
    'a registry that cannot be opened',
    (dir) => mkdir(join(dir, 'registry.sqlite')),
    { code: 'REGISTRY_UNAVAILABLE', message: /cannot open the machine registry at .*registry\.sqlite/ },
  ],
  [
    'a secrets file that is not JSON',
    (dir) => writeFile(join(dir, 'secrets.json'), '{"serviceToken": "trunc'),
    { code: 'SECRETS_UNREADABLE', message: /cannot read .*secrets\.json/ },
  ],
  [
    'a secrets file that cannot be read',
    (dir) => mkdir(join(dir, 'secrets.json')),
    { code: 'SECRETS_UNREADABLE', message: /cannot read .*secrets\.json: EISDIR/ },
  ],
  [
    'a secrets file without the service token',
    (dir) => writeFile(join(dir, 'secrets.json'), JSON.stringify({ adminToken: SECRETS.adminToken })),
    { code: 'SECRETS_INVALID', message: /secrets\.json is not a valid secrets file/ },
  ],
];

describe('the platform refuses to start open', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-refuse-open-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test.each(SPOILERS)('with %s, start fails with a clear error', async (_name, spoil, expected) => {
    await spoil(dataDir);
    const config = parseConfig({ ...LOOPBACK_SETTINGS, DATA_DIR: dataDir });
    await expect(startPlatform(config, pino({ level: 'silent' }))).rejects.toMatchObject({
      code: expected.code,
      message: expect.stringMatching(expected.message),
    });
  });

  test('`kiosk-fleet broker` with a damaged registry exits 1 with one line and never listens', async () => {
    await SPOILERS[0]![1](dataDir);
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', MAIN, 'broker'], {
      env: { ...process.env, ...LOOPBACK_SETTINGS, DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      timeout: 20_000,
    });
    const failure = (await run.then(
      () => null,
      (error: unknown) => error,
    )) as { code: number; stdout: string; stderr: string } | null;
    expect(failure).not.toBeNull();
    expect(failure!.code).toBe(1);
    const lines = failure!.stderr.split('\n').filter((line) => line.startsWith('kiosk-fleet:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^kiosk-fleet: cannot open the machine registry at .*: file is not a database \[REGISTRY_UNAVAILABLE\]$/,
    );
    expect(failure!.stdout).not.toMatch(/broker listening/);
  });
});
