import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../config/private-files.js';
import { DataDirError } from './data-dir-error.js';

/**
 * The layout of a data directory as a whole, raised whenever any file in it changes shape so that
 * an older release can tell it must not open it. Each SQLite file also carries its own schema
 * version (`PRAGMA user_version`), which its own code migrates.
 *
 * 1: release 0.1.0 (no stamp was written then).
 * 2: hourly telemetry in the event store (its schema 3), this stamp.
 */
export const DATA_FORMAT = 2;

const STAMP_FILE = 'data-format.json';
const stampSchema = z.object({ dataFormat: z.number().int().min(1) });

/**
 * The format a data directory was written in: its stamp, 1 for a directory with files but no stamp
 * (release 0.1.0), `null` when there is nothing yet (a first start).
 */
export function readDataFormat(dataDir: string): number | null {
  const file = join(dataDir, STAMP_FILE);
  if (!existsSync(file)) return existsSync(dataDir) && readdirSync(dataDir).length > 0 ? 1 : null;
  const parsed = stampSchema.safeParse(parseJson(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new DataDirError(
      'DATA_DIR_TOO_NEW',
      `${file} is not a data-format stamp this release can read; was it written by a newer kiosk-fleet?`,
    );
  }
  return parsed.data.dataFormat;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a data directory written by a newer release, before anything in it is opened: a newer
 * schema read by older code could be misread, or "migrated" into something neither understands.
 */
export function assertReadableDataFormat(dataDir: string): void {
  const format = readDataFormat(dataDir);
  if (format !== null && format > DATA_FORMAT) {
    throw new DataDirError(
      'DATA_DIR_TOO_NEW',
      `${dataDir} was written by a newer kiosk-fleet (data format ${format}); this release reads up to data format ${DATA_FORMAT}. ` +
        'Run the release that wrote it (or newer), or restore a backup made by this release. Nothing was changed.',
    );
  }
}

/** Records that this release's format is in use; only ever raises the stamp. Written whole, then renamed into place. */
export function stampDataFormat(dataDir: string): void {
  const format = readDataFormat(dataDir);
  if (format !== null && format >= DATA_FORMAT) return;
  ensurePrivateDir(dataDir);
  const file = join(dataDir, STAMP_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ dataFormat: DATA_FORMAT }, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  renameSync(temporary, file);
}
