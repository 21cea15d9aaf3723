import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { create as createTar } from 'tar';
import { type BackupManifest, DATA_ENTRY, MANIFEST_ENTRY } from './backup-manifest.js';
import { DataDirError } from './data-dir-error.js';
import { readDataFormat } from './format-stamp.js';
import { RUN_DIR } from './run-lock.js';
import { isSqliteFile, isSqliteSideFile } from './sqlite-file.js';

/** How long the copy of one SQLite file waits for a lock another connection holds (a commit, a checkpoint). */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Copies everything in `dataDir` into one gzip'd tar file at `file`, while the platform runs and
 * machines publish. Every SQLite file (found by its header, so files added by any part are
 * included) is copied with SQLite's online backup, in one step: one read transaction, so the copy
 * is that file as of one commit, and in WAL mode writers go on meanwhile. Other files (secrets,
 * the simulator's state) are copied as they are. The archive is written under a temporary name
 * and renamed into place once complete, so `file` is never half a backup.
 *
 * Files are copied one after another: each is consistent in itself, and across files nothing
 * depends on a moment (an event acked before the backup began is in the copy of the store).
 */
export async function backupDataDir(options: { dataDir: string; file: string; now?: () => number }): Promise<BackupManifest> {
  const dataDir = resolve(options.dataDir);
  const target = resolve(options.file);
  const dataFormat = readDataFormat(dataDir);
  if (dataFormat === null) throw new DataDirError('DATA_DIR_MISSING', `${dataDir} holds no data to back up`);
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(join(dirname(target), '.kiosk-fleet-backup-'));
  try {
    const files: BackupManifest['files'] = [];
    for (const path of await listDataFiles(dataDir)) {
      const source = join(dataDir, path);
      const copy = join(staging, DATA_ENTRY, path);
      // Folders as private as the data directory's own (0700), in the archive and after a restore.
      await mkdir(dirname(copy), { recursive: true, mode: 0o700 });
      const isSqlite = isSqliteFile(source);
      if (isSqlite) await copySqliteFile(source, copy);
      else await copyFile(source, copy);
      // Secrets stay readable by their owner only, in the archive and after a restore.
      await chmod(copy, (await stat(source)).mode & 0o777);
      files.push({ path: path.split(sep).join('/'), bytes: (await stat(copy)).size, sha256: await sha256Of(copy), isSqlite });
    }
    const manifest: BackupManifest = {
      kind: 'kiosk-fleet-backup',
      version: 1,
      dataFormat,
      createdAt: new Date((options.now ?? Date.now)()).toISOString(),
      files,
    };
    await writeFile(join(staging, MANIFEST_ENTRY), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    const partial = `${target}.partial`;
    await createTar({ gzip: true, file: partial, cwd: staging, portable: true }, [MANIFEST_ENTRY, DATA_ENTRY]);
    await chmod(partial, 0o600);
    await fsyncFile(partial);
    await rename(partial, target);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(`${target}.partial`, { force: true });
  }
}

/** Every file of the data directory, relative to it, but SQLite's side files and the run markers. */
async function listDataFiles(dataDir: string): Promise<string[]> {
  const entries = await readdir(dataDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dataDir, join(entry.parentPath, entry.name)))
    .filter((path) => !isSqliteSideFile(path) && !path.endsWith('.tmp') && path.split(sep)[0] !== RUN_DIR)
    .sort();
}

/**
 * SQLite's online backup of one file, all pages in one step: copying it in small steps would
 * restart whenever another connection commits, which under load is all the time.
 */
async function copySqliteFile(source: string, copy: string): Promise<void> {
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    await db.backup(copy, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
  const check = new Database(copy, { fileMustExist: true });
  try {
    const result = check.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw new DataDirError('BACKUP_INVALID', `the copy of ${source} fails its check: ${String(result)}`);
  } finally {
    check.close();
  }
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
