import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, test } from 'vitest';
import { CONFIG_KEYS, LOOPBACK_SETTINGS } from '../../config/config.js';
import { login } from '../support/platform-harness.js';

const PROJECT_ROOT = join(import.meta.dirname, '../..');
const COMPILED_CLI = join(PROJECT_ROOT, 'dist/cli/main.js');
const ADMIN_PASSWORD = 'compiled-admin-password';

/** A counter's value from Prometheus text, 0 when absent. */
function counter(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/**
 * What `npm start` runs is the compiled JavaScript in dist/, not the TypeScript the other tests load
 * through tsx: the SQLite writer thread loads its `.js` worker there, for one. `.ci/run` builds
 * first; elsewhere this runs after `npm run build`, and in CI a missing build fails instead of skipping.
 */
describe.skipIf(!existsSync(COMPILED_CLI) && !process.env.CI)('the compiled platform (node dist/cli/main.js start)', () => {
  let dataDir: string | undefined;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child?.exitCode === null && child.signalCode === null) {
      // The whole process group: the platform and anything it started.
      process.kill(-child.pid!, 'SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('starts with simulated machines, stores and acks their events, and stops cleanly on SIGTERM', async () => {
    expect(existsSync(COMPILED_CLI), 'dist/cli/main.js is missing: run `npm run build` first').toBe(true);
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-compiled-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of CONFIG_KEYS) delete env[key];
    child = spawn(process.execPath, [COMPILED_CLI, 'start'], {
      cwd: PROJECT_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        ...LOOPBACK_SETTINGS,
        LOG_LEVEL: 'info',
        DATA_DIR: dataDir,
        FLEET_ADMIN_PASSWORD: ADMIN_PASSWORD,
        PASSWORD_SCRYPT_N: '16384',
        SIM_KIOSKS: '3',
        // Two days of the machines' history, generated within seconds.
        SIM_START: new Date(Date.now() - 2 * 86_400_000).toISOString(),
        SIM_SPEED: '20000',
      },
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const lines = createInterface({ input: child.stdout! });
    const dashboardUrl = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; dashboard?: string };
        if (entry.msg === 'platform running' && entry.dashboard) resolve(entry.dashboard.replace(/\/$/, ''));
      });
      child!.once('exit', (code, signal) => reject(new Error(`exited early (${code ?? signal}): ${stderr}`)));
    });

    const admin = await login(dashboardUrl, 'admin', ADMIN_PASSWORD);
    const metrics = async () => (await admin.request<string>('GET', '/metrics')).body;
    await expect
      .poll(async () => counter(await metrics(), 'kiosk_fleet_events_stored_total'), { timeout: 30_000 })
      .toBeGreaterThan(20);
    await expect
      .poll(async () => counter(await metrics(), 'kiosk_fleet_acks_sent_total'), { timeout: 30_000 })
      .toBeGreaterThan(0);

    // Under load (the machines are still catching up), SIGTERM stops every part and exits 0: no
    // native abort from a database torn down with its thread.
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  }, 90_000);
});
