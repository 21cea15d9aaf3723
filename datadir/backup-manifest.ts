import { z } from 'zod';

/** `manifest.json`, the first entry of a backup archive; the data directory's files follow under `data/`. */
export const backupManifestSchema = z.strictObject({
  kind: z.literal('kiosk-fleet-backup'),
  /** The archive's own layout. */
  version: z.literal(1),
  /** The data directory's format (format-stamp.ts) when it was backed up. */
  dataFormat: z.number().int().min(1),
  createdAt: z.iso.datetime(),
  files: z.array(
    z.strictObject({
      /** Relative to the data directory, `/`-separated. */
      path: z.string().min(1),
      bytes: z.number().int().min(0),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** Copied with SQLite's online backup; checked with `PRAGMA integrity_check` on restore. */
      isSqlite: z.boolean(),
    }),
  ),
});
export type BackupManifest = z.infer<typeof backupManifestSchema>;

export const MANIFEST_ENTRY = 'manifest.json';
export const DATA_ENTRY = 'data';
