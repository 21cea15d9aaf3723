import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../config/private-files.js';

/**
 * Which processes are using a data directory: each long-running process (platform, broker,
 * simulator) writes `run/<pid>.json` there while it runs. Several processes may share one data
 * directory, hence one file each rather than one lock. A file whose process is gone (a crash) is
 * stale: ignored and removed by the next look.
 */
export const RUN_DIR = 'run';

const runFileSchema = z.object({
  pid: z.number().int().positive(),
  command: z.string(),
  host: z.string(),
  startedAt: z.string(),
});
export type RunningProcess = z.infer<typeof runFileSchema>;

export interface DataDirHold {
  release(): void;
}

/** Marks `dataDir` as in use by this process until `release()` (also removed when the process exits). */
export function holdDataDir(dataDir: string, command: string): DataDirHold {
  const dir = join(dataDir, RUN_DIR);
  ensurePrivateDir(dir);
  const file = join(dir, `${process.pid}.json`);
  const entry: RunningProcess = { pid: process.pid, command, host: hostname(), startedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(entry)}\n`, { mode: PRIVATE_FILE_MODE });
  const release = () => rmSync(file, { force: true });
  process.once('exit', release);
  return {
    release() {
      process.off('exit', release);
      release();
    },
  };
}

/** The live processes using `dataDir` (on this host); stale entries are removed. */
export function findRunningProcesses(dataDir: string): RunningProcess[] {
  const dir = join(dataDir, RUN_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const running: RunningProcess[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const parsed = runFileSchema.safeParse(readJson(file));
    // Another host sharing the directory (a network file system) cannot be asked: count it as running.
    if (parsed.success && (parsed.data.host !== hostname() || isAlive(parsed.data.pid))) running.push(parsed.data);
    else if (parsed.success) rmSync(file, { force: true });
  }
  return running;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
