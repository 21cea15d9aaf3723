import type pg from 'pg';
import { migratePostgresSchema, type PostgresMigration } from '../../config/postgres-migrations.js';

/** The name the event store's schema versions are recorded under in `schema_migrations`. */
export const EVENT_STORE_COMPONENT = 'event-store';

/**
 * Schema of the PostgreSQL event store, the same tables as the SQLite one. Text compared or
 * sorted is `COLLATE "C"` (byte order), so ids tie-break and counts sort as in SQLite whatever
 * the database's locale. Bodies are `json`, not `jsonb`: json keeps the text as sent (key order,
 * numbers), which the store must give back exactly.
 */
const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: events, daily and monthly counts, telemetry, dead letters.
  `
  CREATE TABLE event_store_meta (
    key text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
  );

  CREATE TABLE events (
    id text COLLATE "C" PRIMARY KEY,
    kiosk_id text COLLATE "C" NOT NULL,
    type text COLLATE "C" NOT NULL,
    ts text NOT NULL,
    ts_ms bigint NOT NULL,
    received_ms bigint NOT NULL,
    data json NOT NULL
  );
  -- Each index serves one read shape and ends in id, so ORDER BY ts_ms, id needs no sort:
  -- the whole history (replay), one machine's history, one type's history.
  CREATE INDEX events_by_time ON events (ts_ms, id);
  CREATE INDEX events_by_kiosk_time ON events (kiosk_id, ts_ms, id);
  CREATE INDEX events_by_type_time ON events (type, ts_ms, id);

  -- Counts per local day and month of the store's time zone, updated in the append transaction.
  CREATE TABLE daily_counts (
    day text COLLATE "C" NOT NULL,
    kiosk_id text COLLATE "C" NOT NULL,
    type text COLLATE "C" NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (day, kiosk_id, type)
  );
  CREATE TABLE monthly_counts (
    month text COLLATE "C" NOT NULL,
    kiosk_id text COLLATE "C" NOT NULL,
    type text COLLATE "C" NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (month, kiosk_id, type)
  );

  -- seq orders readings of one instant newest first, as SQLite's rowid does.
  CREATE TABLE telemetry (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    kiosk_id text COLLATE "C" NOT NULL,
    ts_ms bigint NOT NULL,
    readings json NOT NULL
  );
  CREATE INDEX telemetry_by_kiosk_time ON telemetry (kiosk_id, ts_ms, seq);

  CREATE TABLE dead_letters (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_ms bigint NOT NULL,
    topic text NOT NULL,
    kiosk_id text,
    reason text NOT NULL,
    detail text NOT NULL,
    payload_excerpt text NOT NULL
  );
  `,
  // 2: what the append feed catches up from after its LISTEN connection was lost. txid is the
  // appending transaction (set by default, so no writer can forget it): rows committed since a
  // snapshot are exactly those whose txid it does not see. source is the appending store, so a
  // node's catch-up leaves out its own appends. Both are added without a default first, so old
  // rows stay NULL and the table is not rewritten. The index build blocks appends while it reads
  // the table: on a big one, an operator may build it CONCURRENTLY beforehand (IF NOT EXISTS).
  `
  ALTER TABLE events ADD COLUMN txid xid8, ADD COLUMN source text COLLATE "C";
  ALTER TABLE events ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
  CREATE INDEX IF NOT EXISTS events_by_txid ON events (txid);
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to {@link SCHEMA_VERSION}, once however many processes start together. */
export function migrate(pool: pg.Pool): Promise<number[]> {
  return migratePostgresSchema(pool, EVENT_STORE_COMPONENT, MIGRATIONS);
}
