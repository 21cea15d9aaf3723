import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { extract as extractTar } from 'tar';
import { type BackupManifest, backupManifestSchema, DATA_ENTRY, MANIFEST_ENTRY } from './backup-manifest.js';
import { sha256Of } from './backup.js';
import { DataDirError } from './data-dir-error.js';
import { DATA_FORMAT } from './format-stamp.js';
import { findRunningProcesses, RUN_DIR } from './run-lock.js';

/**
 * Restores a backup made by backupDataDir into `dataDir`, which must not be in use and must be
 * empty or missing: a restore never mixes two histories, nor pulls files from under a running
 * platform. The archive is unpacked beside `dataDir`, every file checked against the manifest
 * (SHA-256, and SQLite's integrity check), and only then renamed into place.
 */
export async function restoreDataDir(options: { file: string; dataDir: string }): Promise<BackupManifest> {
  const dataDir = resolve(options.dataDir);
  assertRestorable(dataDir);
  await mkdir(dirname(dataDir), { recursive: true });
  const staging = await mkdtemp(join(dirname(dataDir), '.kiosk-fleet-restore-'));
  try {
    await extractTar({
      file: resolve(options.file),
      cwd: staging,
      strict: true,
      filter: (path) => path === MANIFEST_ENTRY || path === DATA_ENTRY || path.startsWith(`${DATA_ENTRY}/`),
    }).catch((cause: unknown) => {
      throw new DataDirError('BACKUP_INVALID', `${options.file} is not a readable backup: ${(cause as Error).message}`, {
        cause,
      });
    });
    const manifest = await readManifest(staging, options.file);
    if (manifest.dataFormat > DATA_FORMAT) {
      throw new DataDirError(
        'BACKUP_TOO_NEW',
        `${options.file} holds data format ${manifest.dataFormat}; this release reads up to ${DATA_FORMAT}: restore it with the release that made it`,
      );
    }
    for (const entry of manifest.files) await checkFile(join(staging, DATA_ENTRY, entry.path), entry, options.file);
    await makePrivate(join(staging, DATA_ENTRY));
    // Looked at again just before: a platform may have started on the directory meanwhile.
    assertRestorable(dataDir);
    // What is left is at most an empty run/ folder (assertRestorable).
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(join(staging, DATA_ENTRY), { recursive: true, mode: 0o700 });
    await rename(join(staging, DATA_ENTRY), dataDir);
    // It holds password hashes and the service token: readable by this user only.
    await chmod(dataDir, 0o700);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Folders 0700, files 0600, whatever modes the backed-up directory had (one written by an older
 * release, or unpacked by hand, may have been readable by others): it holds password hashes and
 * the service token.
 */
async function makePrivate(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makePrivate(path);
    else if (entry.isFile()) await chmod(path, 0o600);
  }
}

function assertRestorable(dataDir: string): void {
  const running = findRunningProcesses(dataDir);
  if (running.length > 0) {
    const who = running.map((p) => `${p.command} (pid ${p.pid} on ${p.host})`).join(', ');
    throw new DataDirError('DATA_DIR_IN_USE', `${dataDir} is in use by ${who}: stop it, then restore into an empty directory`);
  }
  // A run/ folder whose markers were all stale (removed just now) is no data.
  const isLeftover = (name: string) => name === RUN_DIR && readdirSync(join(dataDir, RUN_DIR)).length === 0;
  if (existsSync(dataDir) && readdirSync(dataDir).some((name) => !isLeftover(name))) {
    throw new DataDirError('DATA_DIR_NOT_EMPTY', `${dataDir} is not empty: restore into an empty or new DATA_DIR`);
  }
}

async function readManifest(staging: string, file: string): Promise<BackupManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(staging, MANIFEST_ENTRY), 'utf8'));
  } catch (cause) {
    throw new DataDirError('BACKUP_INVALID', `${file} has no readable ${MANIFEST_ENTRY}: is it a kiosk-fleet backup?`, { cause });
  }
  const parsed = backupManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DataDirError(
      'BACKUP_INVALID',
      `${file}: ${MANIFEST_ENTRY} is not a kiosk-fleet backup manifest: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

async function checkFile(path: string, entry: BackupManifest['files'][number], file: string): Promise<void> {
  if (!existsSync(path)) throw new DataDirError('BACKUP_INVALID', `${file} lacks ${entry.path}`);
  if ((await sha256Of(path)) !== entry.sha256)
    throw new DataDirError('BACKUP_INVALID', `${file}: ${entry.path} is damaged (checksum)`);
  if (!entry.isSqlite) return;
  const db = new Database(path, { fileMustExist: true });
  try {
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok')
      throw new DataDirError('BACKUP_INVALID', `${file}: ${entry.path} fails SQLite's integrity check: ${String(result)}`);
  } finally {
    db.close();
  }
}
