import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { SilentFailure } from './generate.js';

/**
 * What really happened in the simulation and the platform must find out for itself: silent
 * failures (heartbeat and no fault, nothing lent). One JSON line per failure in the simulator's
 * data directory, never in the event history, so detection can be scored against it.
 */
export const TRUTH_FILE_NAME = 'simulator-truth.jsonl';

export const truthLineSchema = z.strictObject({
  kind: z.literal('silent_failure'),
  kioskId: z.string().min(1),
  from: z.iso.datetime(),
  /** When it was due to end; a restart of the simulator ends it earlier. */
  to: z.iso.datetime(),
});
export type TruthLine = z.infer<typeof truthLineSchema>;

export interface TruthFile {
  readonly path: string;
  record(failures: readonly SilentFailure[]): void;
}

export function openTruthFile(dataDir: string): TruthFile {
  const path = join(dataDir, TRUTH_FILE_NAME);
  return Object.freeze({
    path,
    record(failures: readonly SilentFailure[]) {
      if (failures.length === 0) return;
      const lines = failures.map((f) =>
        JSON.stringify({
          kind: 'silent_failure',
          kioskId: f.kioskId,
          from: new Date(f.fromMs).toISOString(),
          to: new Date(f.toMs).toISOString(),
        } satisfies TruthLine),
      );
      appendFileSync(path, `${lines.join('\n')}\n`);
    },
  });
}

/** The truth file's lines, checked; throws a ZodError on a damaged line. */
export function readTruthFile(path: string): TruthLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => truthLineSchema.parse(JSON.parse(line)));
}
