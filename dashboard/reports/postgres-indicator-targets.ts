import type { Logger } from 'pino';
import { migratePostgresSchema, type PostgresMigration } from '../../config/postgres-migrations.js';
import { createPostgresPool } from '../../config/postgres-pool.js';
import {
  type IndicatorTargetsStore,
  indicatorTargetsSchema,
  REFERENCE_IN_FORCE,
  type TargetsInForce,
} from './indicator-targets.js';

/** The name the targets' schema versions are recorded under in `schema_migrations`. */
export const INDICATOR_TARGETS_COMPONENT = 'indicator-targets';

const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: one row, the installation's targets; their history is the audit log's (report.targets).
  `
  CREATE TABLE indicator_targets (
    id integer PRIMARY KEY CHECK (id = 1),
    targets_json text NOT NULL,
    updated_by text NOT NULL,
    updated_ms bigint NOT NULL
  );
  `,
];

interface Row {
  targets_json: string;
  updated_by: string;
  updated_ms: string | number;
}

/** The library's indicator targets in PostgreSQL (DATABASE_URL), shared by every node. */
export async function openPostgresIndicatorTargets(options: { url: string; logger?: Logger }): Promise<IndicatorTargetsStore> {
  const pool = createPostgresPool({
    url: options.url,
    applicationName: 'kiosk-fleet indicator targets',
    // Read once per indicator table or overview refresh, changed rarely: one connection is plenty.
    maxConnections: 1,
    onIdleError: (error) => options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool replaces it'),
  });
  try {
    await migratePostgresSchema(pool, INDICATOR_TARGETS_COMPONENT, MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const read = async (): Promise<TargetsInForce> => {
    const { rows } = await pool.query<Row>('SELECT targets_json, updated_by, updated_ms FROM indicator_targets WHERE id = 1');
    const row = rows[0];
    if (row === undefined) return REFERENCE_IN_FORCE;
    return {
      targets: indicatorTargetsSchema.parse(JSON.parse(row.targets_json)),
      isReference: false,
      updatedBy: row.updated_by,
      updatedMs: Number(row.updated_ms),
    };
  };
  const store: IndicatorTargetsStore = {
    read,
    async save(targets, by, atMs) {
      await pool.query(
        `INSERT INTO indicator_targets VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET targets_json = excluded.targets_json, updated_by = excluded.updated_by, updated_ms = excluded.updated_ms`,
        [JSON.stringify(indicatorTargetsSchema.parse(targets)), by, atMs],
      );
      return read();
    },
    close: () => pool.end(),
  };
  return Object.freeze(store);
}
