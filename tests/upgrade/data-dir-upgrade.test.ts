import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { type RunningPlatform, startPlatform } from '../../platform/index.js';
import { SCHEMA_VERSION } from '../../collector/store/sqlite-schema.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';
import { DATA_FORMAT } from '../../datadir/format-stamp.js';
import { login } from '../support/platform-harness.js';

/** Written by release 0.1.0 (see its README.md); never regenerated. */
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'data-dir-0.1.0');

const configFor = (dataDir: string) => parseConfig({ ...LOOPBACK_SETTINGS, DATA_DIR: dataDir, PASSWORD_SCRYPT_N: '16384' });

function rows(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** Every file's bytes, by path: to show a refused directory was not touched. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    result[path] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return result;
}

describe('a data directory written by release 0.1.0', () => {
  let dataDir: string;
  let platform: RunningPlatform | undefined;
  beforeEach(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'kiosk-upgrade-')), 'data');
    await cp(FIXTURE, dataDir, { recursive: true });
  });
  afterEach(async () => {
    await platform?.stop();
    platform = undefined;
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  test('opens with this release: every event, account, machine, export and reading is there', async () => {
    const eventsBefore = rows(join(dataDir, 'events.sqlite'), 'SELECT id, kiosk_id, type, ts, data FROM events ORDER BY id');
    expect(eventsBefore).toHaveLength(86);
    platform = await startPlatform(configFor(dataDir), createLogger('silent'));

    const kept = rows(join(dataDir, 'events.sqlite'), 'SELECT id, kiosk_id, type, ts, data FROM events ORDER BY id');
    expect(kept).toEqual(expect.arrayContaining(eventsBefore));
    const counts = await platform.store.countByPeriod({
      granularity: 'month',
      fromDay: '2025-01-01',
      toDay: '2025-02-01',
      kioskIds: ['FX-01'],
    });
    expect(counts.map((c) => [c.type, c.count]).sort()).toEqual([
      ['fault', 1],
      ['fault_cleared', 1],
      ['inspection', 1],
      ['loan', 46],
      ['return', 31],
    ]);

    const base = `http://127.0.0.1:${platform.dashboard.port}`;
    const librarian = await login(base, 'librarian', 'librarian-password-1');
    const report = await librarian.get<{ rows: { month: string; loans: number; returns: number }[] }>(
      '/api/v1/reports/circulation?from=2025-01&to=2025-01',
    );
    expect(report.body.rows).toMatchObject([{ month: '2025-01', loans: 46, returns: 31 }]);
    expect(rows(join(dataDir, 'reports.sqlite'), 'SELECT scope, month, first_loans, first_returns FROM report_exports')).toEqual([
      { scope: 'fleet', month: '2025-01', first_loans: 46, first_returns: 31 },
    ]);
    await expect(login(base, 'admin', 'fixture-admin-password')).resolves.toBeDefined();

    // A machine's token issued by 0.1.0 still lets it in.
    const tokens = JSON.parse(await readFile(join(dataDir, 'simulator', 'credentials.json'), 'utf8')) as Record<string, string>;
    const machine = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'CY-001',
      username: 'CY-001',
      password: tokens['CY-001']!,
      reconnectPeriod: 0,
    });
    await machine.endAsync();

    // The readings of January 2025 are long past raw retention: folded into hourly means at start.
    await expect.poll(async () => (await platform!.store.readTelemetry({ kioskId: 'FX-01', limit: 100 })).length).toBe(24);
    const [latest] = await platform.store.readTelemetry({ kioskId: 'FX-01', limit: 1 });
    expect(latest).toMatchObject({
      tsMs: Date.parse('2025-01-20T23:00:00+08:00'),
      readings: { binFillPercent: 46.5, paperPercent: 53.5 },
    });
    expect(await platform.store.countDeadLetters()).toBe(1);

    expect(rows(join(dataDir, 'events.sqlite'), 'PRAGMA user_version')).toEqual([{ user_version: SCHEMA_VERSION }]);
    expect(JSON.parse(await readFile(join(dataDir, 'data-format.json'), 'utf8'))).toEqual({ dataFormat: DATA_FORMAT });
  });

  test('once stamped by a newer release, it is refused before anything in it is opened, with a clear message', async () => {
    await writeFile(join(dataDir, 'data-format.json'), JSON.stringify({ dataFormat: DATA_FORMAT + 1 }));
    const before = await fingerprint(dataDir);
    await expect(startPlatform(configFor(dataDir), createLogger('silent'))).rejects.toMatchObject({
      code: 'DATA_DIR_TOO_NEW',
      message: expect.stringContaining(
        `written by a newer kiosk-fleet (data format ${DATA_FORMAT + 1}); this release reads up to data format ${DATA_FORMAT}`,
      ),
    });
    expect(await fingerprint(dataDir)).toEqual(before);
  });

  test('a store file of a newer schema is refused too, and left as it was', async () => {
    const file = join(dataDir, 'events.sqlite');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = await readFile(file);
    await expect(startPlatform(configFor(dataDir), createLogger('silent'))).rejects.toMatchObject({
      code: 'STORE_OPEN_FAILED',
      message: expect.stringContaining(`schema version ${SCHEMA_VERSION + 1} is newer than this code's ${SCHEMA_VERSION}`),
    });
    expect((await readFile(file)).equals(before)).toBe(true);
  });
});
