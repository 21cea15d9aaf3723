import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile } from '../../config/private-files.js';
import {
  type IndicatorTargetsStore,
  indicatorTargetsSchema,
  REFERENCE_IN_FORCE,
  type TargetsInForce,
} from './indicator-targets.js';

interface Row {
  targets_json: string;
  updated_by: string;
  updated_ms: number;
}

// One row: the installation's targets. A history of changes is the audit log's (report.targets).
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS indicator_targets (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    targets_json TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
  ) STRICT;
`;

/** Opens (creating if needed) the targets in a SQLite file; `:memory:` keeps them for the life of the process. */
export function openSqliteIndicatorTargets(file: string): IndicatorTargetsStore {
  if (file !== ':memory:') {
    ensurePrivateDir(dirname(file));
    ensurePrivateFile(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const select = db.prepare<[], Row>('SELECT targets_json, updated_by, updated_ms FROM indicator_targets WHERE id = 1');
  const upsert = db.prepare(
    `INSERT INTO indicator_targets VALUES (1, @json, @by, @atMs)
     ON CONFLICT (id) DO UPDATE SET targets_json = excluded.targets_json, updated_by = excluded.updated_by, updated_ms = excluded.updated_ms`,
  );
  const read = (): TargetsInForce => {
    const row = select.get();
    if (row === undefined) return REFERENCE_IN_FORCE;
    // Parsed where it is read: a row written by an older version is checked, never cast.
    return {
      targets: indicatorTargetsSchema.parse(JSON.parse(row.targets_json)),
      isReference: false,
      updatedBy: row.updated_by,
      updatedMs: row.updated_ms,
    };
  };
  const store: IndicatorTargetsStore = {
    read: async () => read(),
    save: async (targets, by, atMs) => {
      upsert.run({ json: JSON.stringify(indicatorTargetsSchema.parse(targets)), by, atMs });
      return read();
    },
    close: async () => void db.close(),
  };
  return Object.freeze(store);
}
