import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { create as createTar, extract as extractTar } from 'tar';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { backupDataDir } from '../../datadir/backup.js';
import { backupFileName, pruneBackups, startBackupSchedule } from '../../datadir/backup-schedule.js';
import { DATA_FORMAT } from '../../datadir/format-stamp.js';
import { restoreDataDir } from '../../datadir/restore.js';
import { holdDataDir } from '../../datadir/run-lock.js';
import { createLogger } from '../../cli/logger.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'data-dir-0.1.0');

describe('backup and restore of a data directory', () => {
  let scratch: string;
  let dataDir: string;

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kiosk-fleet-backup-'));
    dataDir = join(scratch, 'data');
    await cp(FIXTURE, dataDir, { recursive: true });
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test('every SQLite file is copied, whatever its name or folder, and the other files as they are', async () => {
    // A part added later (a notification outbox, say) keeps its own file: it is found by its header.
    await mkdir(join(dataDir, 'notify'));
    const extra = new Database(join(dataDir, 'notify', 'outbox.db'));
    extra.pragma('journal_mode = WAL');
    extra.exec("CREATE TABLE pending (id TEXT); INSERT INTO pending VALUES ('n-1')");
    // Readable by others, as a directory of an older release (or a checkout of the fixture) may be.
    await chmod(join(dataDir, 'secrets.json'), 0o644);
    const file = join(scratch, 'b.tar.gz');
    try {
      const manifest = await backupDataDir({ dataDir, file });
      expect(manifest.files.filter((f) => f.isSqlite).map((f) => f.path)).toEqual([
        'events.sqlite',
        'notify/outbox.db',
        'registry.sqlite',
        'reports.sqlite',
        'simulator/simulator-outbox.sqlite',
        'spool.sqlite',
        'users.sqlite',
      ]);
    } finally {
      extra.close();
    }
    const target = join(scratch, 'restored');
    await restoreDataDir({ file, dataDir: target });
    const copy = new Database(join(target, 'notify', 'outbox.db'), { readonly: true });
    try {
      expect(copy.prepare('SELECT id FROM pending').pluck().all()).toEqual(['n-1']);
    } finally {
      copy.close();
    }
    expect(await readFile(join(target, 'secrets.json'), 'utf8')).toBe(await readFile(join(dataDir, 'secrets.json'), 'utf8'));
    expect((await stat(join(target, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(target, 'notify', 'outbox.db'))).mode & 0o777).toBe(0o600);
    // Private, as the platform makes it: the directory and the folders in it.
    for (const dir of [target, join(target, 'simulator'), join(target, 'notify')])
      expect((await stat(dir)).mode & 0o777, dir).toBe(0o700);
  });

  test('a restore refuses a data directory a running process holds, and one that is not empty', async () => {
    const file = join(scratch, 'b.tar.gz');
    await backupDataDir({ dataDir, file });
    const target = join(scratch, 'target');
    await mkdir(target);
    const hold = holdDataDir(target, 'platform');
    try {
      await expect(restoreDataDir({ file, dataDir: target })).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
    } finally {
      hold.release();
    }
    await writeFile(join(target, 'notes.txt'), 'mine');
    await expect(restoreDataDir({ file, dataDir: target })).rejects.toMatchObject({ code: 'DATA_DIR_NOT_EMPTY' });
    expect(await readFile(join(target, 'notes.txt'), 'utf8')).toBe('mine');
    await rm(join(target, 'notes.txt'));
    await restoreDataDir({ file, dataDir: target });
    expect(existsSync(join(target, 'events.sqlite'))).toBe(true);
  });

  test('a run marker left by a process that died does not block a restore', async () => {
    const file = join(scratch, 'b.tar.gz');
    await backupDataDir({ dataDir, file });
    const target = join(scratch, 'target');
    await mkdir(join(target, 'run'), { recursive: true });
    // No process has this pid: it is above Linux's largest (2^22).
    const marker = { pid: 4_194_305, command: 'platform', host: hostname(), startedAt: '2026-01-01T00:00:00Z' };
    await writeFile(join(target, 'run', '4194305.json'), JSON.stringify(marker));
    await restoreDataDir({ file, dataDir: target });
    expect(existsSync(join(target, 'events.sqlite'))).toBe(true);
    expect(existsSync(join(target, 'run'))).toBe(false);
  });

  test.each([
    ['a damaged file', async (unpacked: string) => writeFile(join(unpacked, 'data', 'secrets.json'), '{}'), 'BACKUP_INVALID'],
    [
      'a newer data format',
      async (unpacked: string) => {
        const manifest = JSON.parse(await readFile(join(unpacked, 'manifest.json'), 'utf8')) as { dataFormat: number };
        await writeFile(join(unpacked, 'manifest.json'), JSON.stringify({ ...manifest, dataFormat: DATA_FORMAT + 1 }));
      },
      'BACKUP_TOO_NEW',
    ],
    ['no manifest', async (unpacked: string) => rm(join(unpacked, 'manifest.json')), 'BACKUP_INVALID'],
  ])('a backup with %s is refused and nothing is restored', async (_what, spoil, code) => {
    const file = join(scratch, 'b.tar.gz');
    await backupDataDir({ dataDir, file });
    const unpacked = join(scratch, 'unpacked');
    await mkdir(unpacked);
    await extractTar({ file, cwd: unpacked });
    await spoil(unpacked);
    const spoiled = join(scratch, 'spoiled.tar.gz');
    await createTar({ gzip: true, file: spoiled, cwd: unpacked }, await readdir(unpacked));
    const target = join(scratch, 'target');
    await expect(restoreDataDir({ file: spoiled, dataDir: target })).rejects.toMatchObject({ code });
    expect(existsSync(target)).toBe(false);
    expect((await readdir(scratch)).filter((name) => name.startsWith('.kiosk-fleet'))).toEqual([]);
  });
});

describe('scheduled backups', () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kiosk-fleet-schedule-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test('only the newest N of the schedule’s own backups are kept', async () => {
    const names = [1, 2, 3, 4].map((day) => backupFileName(Date.UTC(2026, 0, day)));
    for (const name of [...names, 'keep-me.tar.gz']) await writeFile(join(scratch, name), '');
    expect(await pruneBackups(scratch, 2)).toEqual(names.slice(0, 2));
    expect((await readdir(scratch)).sort()).toEqual([...names.slice(2), 'keep-me.tar.gz'].sort());
  });

  test('the schedule writes backups that restore, and keeps BACKUP_KEEP of them', async () => {
    const dataDir = join(scratch, 'data');
    await cp(FIXTURE, dataDir, { recursive: true });
    const backupDir = join(scratch, 'backups');
    await mkdir(backupDir);
    let clockMs = Date.UTC(2026, 0, 1);
    // Each backup is stamped a day after the one before, so their names differ.
    const schedule = startBackupSchedule({
      dataDir,
      backupDir,
      everyMs: 10,
      keep: 2,
      logger: createLogger('silent'),
      now: () => (clockMs += 86_400_000),
    });
    try {
      await expect.poll(async () => (await readdir(backupDir)).filter((n) => n.endsWith('.tar.gz')).length).toBe(2);
      await expect.poll(() => clockMs).toBeGreaterThan(Date.UTC(2026, 0, 5));
    } finally {
      await schedule.stop();
    }
    const kept = (await readdir(backupDir)).filter((n) => n.endsWith('.tar.gz')).sort();
    expect(kept).toHaveLength(2);
    await restoreDataDir({ file: join(backupDir, kept.at(-1)!), dataDir: join(scratch, 'restored') });
    expect(existsSync(join(scratch, 'restored', 'registry.sqlite'))).toBe(true);
  });
});
