import type pg from 'pg';
import { inTransaction } from './postgres-pool.js';

/** One step of a component's PostgreSQL schema: SQL applied once, never edited after release. */
export type PostgresMigration = string;

/**
 * Key of the advisory lock every migration takes (`kiosk` in ASCII): one lock for all the
 * platform's components, so the version table itself is created under it too.
 */
export const MIGRATION_LOCK_KEY = 0x6b696f736b;

/**
 * Brings `component`'s tables to the version `migrations.length`, recorded one row per applied
 * step in `schema_migrations`. Everything runs in one transaction holding an advisory lock, and
 * PostgreSQL's DDL is transactional: several nodes starting at once on an empty database queue
 * on the lock, the first migrates, the others then find the work done. A failed step leaves the
 * schema as it was. Throws when the database was migrated by a newer version of this code.
 * Resolves to the versions this call applied.
 */
export async function migratePostgresSchema(
  pool: pg.Pool,
  component: string,
  migrations: readonly PostgresMigration[],
): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        component text COLLATE "C" NOT NULL,
        version integer NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version)
      )`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0)::integer AS version FROM schema_migrations WHERE component = $1',
      [component],
    );
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) {
      throw new Error(`${component} schema version ${current} is newer than this code's ${migrations.length}`);
    }
    const applied: number[] = [];
    for (let version = current + 1; version <= migrations.length; version += 1) {
      await client.query(migrations[version - 1]!);
      await client.query('INSERT INTO schema_migrations (component, version) VALUES ($1, $2)', [component, version]);
      applied.push(version);
    }
    return applied;
  });
}
