import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { type RunningPlatform, startPlatform } from '../../platform/index.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';
import { backupDataDir } from '../../datadir/backup.js';
import { restoreDataDir } from '../../datadir/restore.js';
import type { SimulatedFleet } from '../../simulator/fleet.js';
import { createFaultWorld, type FaultWorld, readMachineEvents } from '../faults/fault-harness.js';
import { login } from '../support/platform-harness.js';

const ADMIN_PASSWORD = 'admin-password-for-backup-test';
const ACCOUNTS = ['librarian-a', 'librarian-b', 'crew-chief'] as const;

const settingsFor = (dataDir: string) =>
  parseConfig({ ...LOOPBACK_SETTINGS, DATA_DIR: dataDir, FLEET_ADMIN_PASSWORD: ADMIN_PASSWORD, PASSWORD_SCRYPT_N: '16384' });

/** Two whole months before the current one (complete whatever the time zone): what the export log records. */
function completeMonths(nowMs: number): { from: string; to: string } {
  const now = new Date(nowMs);
  const month = (back: number) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 15)).toISOString().slice(0, 7);
  return { from: month(2), to: month(1) };
}

function tableRows(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe('a backup taken while machines publish, restored into a new data directory', () => {
  let world: FaultWorld;
  let fleet: SimulatedFleet;
  let platform: RunningPlatform;
  let restored: RunningPlatform | undefined;
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kiosk-fleet-backup-'));
    // 20 machines generating 40 days of history over 20 s: they publish all through the backup.
    world = await createFaultWorld({ kiosks: 20, simulatedMs: 40 * 86_400_000, realMs: 20_000 });
    platform = await startPlatform(settingsFor(world.dataDir), createLogger('silent'));
    fleet = await world.startFleet(platform.mqttUrl);
  }, 60_000);

  afterAll(async () => {
    await restored?.stop();
    await fleet?.stop();
    await platform?.stop();
    await world?.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }, 60_000);

  test('holds every event acked before it began, once each, and every account and report revision', async () => {
    await expect.poll(async () => (await readMachineEvents(platform.store)).length).toBeGreaterThan(2_000);
    for (const username of ACCOUNTS) {
      await platform.auth.users.create({
        username,
        displayName: username,
        role: 'manager',
        password: `${username}-password`,
        mustChangePassword: false,
      });
    }
    const admin = await login(`http://127.0.0.1:${platform.dashboard.port}`, 'admin', ADMIN_PASSWORD);
    const { from, to } = completeMonths(Date.now());
    // Two exports of months still filling up: the log keeps the first figures and the last.
    for (let i = 0; i < 2; i++) {
      expect((await admin.get(`/api/v1/reports/circulation?from=${from}&to=${to}&format=csv`)).status).toBe(200);
    }

    // Acked = generated and gone from the outbox. Generated is read first: an event acked between
    // the two reads is acked before the backup begins, one generated after is not counted at all.
    const generated = [...world.generated.keys()];
    const pending = new Set(
      (
        tableRows(join(world.dataDir, 'simulator', 'simulator-outbox.sqlite'), 'SELECT event_id FROM outbox') as {
          event_id: string;
        }[]
      ).map((r) => r.event_id),
    );
    const acked = generated.filter((id) => !pending.has(id));
    const accountsBefore = tableRows(
      join(world.dataDir, 'users.sqlite'),
      'SELECT username, role, password_hash FROM users ORDER BY username',
    );
    const exportsBefore = tableRows(join(world.dataDir, 'reports.sqlite'), 'SELECT * FROM report_exports ORDER BY scope, month');
    const storedAtStart = (await readMachineEvents(platform.store)).length;

    const file = join(scratch, 'fleet.tar.gz');
    await backupDataDir({ dataDir: world.dataDir, file });
    // The machines were still working through their backlog when it ended, and went on storing
    // events after it: they published all through the backup.
    expect(Math.min(...fleet.machines.map((m) => m.generatedUntilMs()))).toBeLessThan(Date.now() - 86_400_000);
    await expect.poll(async () => (await readMachineEvents(platform.store)).length).toBeGreaterThan(storedAtStart);

    await expect(restoreDataDir({ file, dataDir: world.dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
    const newDir = join(scratch, 'restored');
    await restoreDataDir({ file, dataDir: newDir });
    restored = await startPlatform(settingsFor(newDir), createLogger('silent'));

    const events = await readMachineEvents(restored.store);
    const ids = new Set(events.map((e) => e.id));
    expect(acked.length).toBeGreaterThan(1_000);
    expect(acked.filter((id) => !ids.has(id))).toEqual([]);
    expect(events.length - ids.size).toBe(0);
    // No event counted twice either: the monthly rollup agrees with the events themselves.
    const counts = await restored.store.countByPeriod({
      granularity: 'month',
      fromDay: '2000-01-01',
      toDay: '2100-01-01',
      types: ['loan', 'return'],
    });
    expect(counts.reduce((sum, c) => sum + c.count, 0)).toBe(
      events.filter((e) => e.type === 'loan' || e.type === 'return').length,
    );

    expect(tableRows(join(newDir, 'users.sqlite'), 'SELECT username, role, password_hash FROM users ORDER BY username')).toEqual(
      accountsBefore,
    );
    expect(tableRows(join(newDir, 'reports.sqlite'), 'SELECT * FROM report_exports ORDER BY scope, month')).toEqual(
      exportsBefore,
    );
    expect(exportsBefore.length).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${restored.dashboard.port}`;
    for (const username of ACCOUNTS) await expect(login(base, username, `${username}-password`)).resolves.toBeDefined();
  }, 120_000);
});
