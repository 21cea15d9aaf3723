import type { Database } from 'better-sqlite3';
import { type Migration, migrateSchema } from '../../config/sqlite-migrations.js';

/**
 * Schema of the SQLite event store, versioned by `PRAGMA user_version`. A migration is applied
 * once, in its own transaction, and never edited after release: change the schema by appending one.
 */

const MIGRATIONS: readonly Migration[] = [
  // 1: events, daily rollup, telemetry, dead letters.
  (db) => {
    db.exec(`
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        type TEXT NOT NULL,
        ts TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        data TEXT NOT NULL
      ) STRICT;
      -- Each index serves one read shape and ends in id, so ORDER BY ts_ms, id needs no sort:
      -- the whole history (replay), one machine's history, one type's history (inspections, faults).
      CREATE INDEX events_by_time ON events (ts_ms, id);
      CREATE INDEX events_by_kiosk_time ON events (kiosk_id, ts_ms, id);
      CREATE INDEX events_by_type_time ON events (type, ts_ms, id);

      -- Counts per local day of the store's time zone, updated in the append transaction.
      CREATE TABLE daily_counts (
        day TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        type TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, kiosk_id, type)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE telemetry (
        kiosk_id TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        readings TEXT NOT NULL
      ) STRICT;
      CREATE INDEX telemetry_by_kiosk_time ON telemetry (kiosk_id, ts_ms);

      CREATE TABLE dead_letters (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        received_ms INTEGER NOT NULL,
        topic TEXT NOT NULL,
        kiosk_id TEXT,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        payload_excerpt TEXT NOT NULL
      ) STRICT;
    `);
  },
  // 2: monthly rollup, so whole-month counts over years read thousands of rows, not millions
  // (a 3-year, 1,000-machine fleet table took ~1 s from daily_counts alone). Backfilled.
  (db) => {
    db.exec(`
      CREATE TABLE monthly_counts (
        month TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        type TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (month, kiosk_id, type)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO monthly_counts (month, kiosk_id, type, count)
        SELECT substr(day, 1, 7), kiosk_id, type, sum(count) FROM daily_counts GROUP BY 1, 2, 3;
    `);
  },
  // 3: retention. Telemetry older than its raw retention is kept as hourly means per machine
  // (a year of one reading a minute is 525,600 rows a machine; hourly, 8,760), and the raw table
  // gets a time index so the oldest hour is found without a scan.
  (db) => {
    db.exec(`
      CREATE TABLE telemetry_hourly (
        kiosk_id TEXT NOT NULL,
        hour_ms INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        readings TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, hour_ms)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX telemetry_hourly_by_time ON telemetry_hourly (hour_ms);
      CREATE INDEX telemetry_by_time ON telemetry (ts_ms);
    `);
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file to {@link SCHEMA_VERSION} (see migrateSchema). */
export function migrate(db: Database): void {
  migrateSchema(db, MIGRATIONS);
}
