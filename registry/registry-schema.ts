import type { Database } from 'better-sqlite3';
import { type Migration, migrateSchema } from '../config/sqlite-migrations.js';

/**
 * Schema of the machine registry, versioned by `PRAGMA user_version` like the event store's. A
 * migration is applied once, in its own transaction, and never edited after release: change the
 * schema by appending one.
 */

const MIGRATIONS: readonly Migration[] = [
  // 1: the machines and the hashes of their tokens. Files written before the schema had a version
  // (user_version 0) already hold this table, hence IF NOT EXISTS.
  (db) => {
    db.exec(`CREATE TABLE IF NOT EXISTS kiosks (
      id TEXT PRIMARY KEY,
      record TEXT NOT NULL,
      token_hash TEXT NOT NULL,
      created_ms INTEGER NOT NULL
    )`);
  },
  // 2: a registry-wide counter of credential changes, stamped on the machine's row by the statement
  // that changes its token, so a broker in another process finds what changed since it last looked
  // with one indexed query. 0: never changed since provisioning.
  (db) => {
    db.exec(`
      ALTER TABLE kiosks ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX kiosks_by_credentials_version ON kiosks (credentials_version);
    `);
  },
];

/** The schema version this code writes. */
export const REGISTRY_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file to {@link REGISTRY_SCHEMA_VERSION} (see migrateSchema). */
export function migrateRegistry(db: Database): void {
  migrateSchema(db, MIGRATIONS);
}
