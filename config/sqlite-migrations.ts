import type { Database } from 'better-sqlite3';

/** One step of a SQLite file's schema; applied once and never edited after release. */
export type Migration = (db: Database) => void;

/**
 * Brings a SQLite file to the version `migrations.length`, counted in `PRAGMA user_version`. Each
 * step runs in an IMMEDIATE transaction that re-reads the version, so two processes opening the
 * file at once do not both migrate it. Throws when the file was written by a newer version of
 * this code.
 */
export function migrateSchema(db: Database, migrations: readonly Migration[]): void {
  for (;;) {
    const isDone = db
      .transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > migrations.length) {
          throw new Error(`schema version ${version} is newer than this code's ${migrations.length}`);
        }
        const step = migrations[version];
        if (step === undefined) return true;
        step(db);
        db.pragma(`user_version = ${version + 1}`);
        return false;
      })
      .immediate();
    if (isDone) return;
  }
}
