import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { backupDataDir } from './backup.js';

/** `kiosk-fleet-20261205T032735123Z.tar.gz`: names that sort by time, so the oldest are found by name. */
const BACKUP_NAME = /^kiosk-fleet-\d{8}T\d{9}Z\.tar\.gz$/;

export const backupFileName = (atMs: number) => `kiosk-fleet-${new Date(atMs).toISOString().replace(/[-:.]/g, '')}.tar.gz`;

export interface BackupScheduleOptions {
  dataDir: string;
  backupDir: string;
  everyMs: number;
  /** Newest backups kept in `backupDir`; older ones (by name, ours only) are deleted after each success. */
  keep: number;
  logger: Logger;
  now?: () => number;
}

export interface BackupSchedule {
  /** Ends the schedule; resolves once a backup in progress has finished. */
  stop(): Promise<void>;
}

/** A backup every `everyMs` (the first one `everyMs` after start) into `backupDir`, keeping the newest `keep`. */
export function startBackupSchedule(options: BackupScheduleOptions): BackupSchedule {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'backup' });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  let isStopped = false;

  const runOnce = async () => {
    const file = join(options.backupDir, backupFileName(now()));
    try {
      const manifest = await backupDataDir({ dataDir: options.dataDir, file, now });
      const removed = await pruneBackups(options.backupDir, options.keep);
      logger.info({ file, files: manifest.files.length, removed }, 'scheduled backup written');
    } catch (error) {
      // The next run tries again; a failing backup must not stop the platform.
      logger.error({ err: error, file }, 'scheduled backup failed');
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        if (!isStopped) schedule();
      });
    }, options.everyMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      isStopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Deletes all but the newest `keep` of this schedule's backups in `backupDir`; returns the names deleted. */
export async function pruneBackups(backupDir: string, keep: number): Promise<string[]> {
  const names = (await readdir(backupDir)).filter((name) => BACKUP_NAME.test(name)).sort();
  const doomed = names.slice(0, Math.max(0, names.length - keep));
  for (const name of doomed) await rm(join(backupDir, name), { force: true });
  return doomed;
}
