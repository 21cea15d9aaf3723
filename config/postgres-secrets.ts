import { MIGRATION_LOCK_KEY, migratePostgresSchema, type PostgresMigration } from './postgres-migrations.js';
import { createPostgresPool, inTransaction } from './postgres-pool.js';
import { parseSecrets, type Secrets } from './secrets.js';
import { generateToken } from '../registry/tokens.js';

/** The name the secrets' schema versions are recorded under in `schema_migrations`. */
export const SECRETS_COMPONENT = 'secrets';

const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: one row holding the platform's generated secrets, as secrets.json holds them on one node.
  `
  CREATE TABLE platform_secrets (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    secrets json NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  `,
];

export interface PostgresSecretsOptions {
  /** `postgres://…`, as DATABASE_URL. */
  url: string;
  /**
   * Secrets to keep when the database has none yet: those of the data directory of a platform
   * that ran without DATABASE_URL, so its other processes (a separate collector) keep working.
   */
  adopt?: Secrets | undefined;
}

/**
 * The platform's generated secrets (the service token) in PostgreSQL, so every node on one
 * DATABASE_URL has the same: created by the first node, under the migration lock, so nodes
 * starting together on an empty database cannot each create their own. Read once at start.
 */
export async function loadOrCreatePostgresSecrets(options: PostgresSecretsOptions): Promise<Secrets> {
  const pool = createPostgresPool({ url: options.url, applicationName: 'kiosk-fleet secrets', maxConnections: 1 });
  try {
    await migratePostgresSchema(pool, SECRETS_COMPONENT, MIGRATIONS);
    return await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const { rows } = await client.query<{ secrets: unknown }>('SELECT secrets FROM platform_secrets');
      if (rows[0] !== undefined) return parseSecrets(rows[0].secrets, 'the platform_secrets table does not hold valid secrets');
      const secrets = { serviceToken: options.adopt?.serviceToken ?? generateToken() };
      await client.query('INSERT INTO platform_secrets (secrets) VALUES ($1)', [JSON.stringify(secrets)]);
      return { ...secrets, isNew: options.adopt === undefined };
    });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'SECRETS_INVALID') throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw Object.assign(new Error(`cannot read the platform's secrets from PostgreSQL: ${reason}`, { cause }), {
      code: 'SECRETS_UNREADABLE',
    });
  } finally {
    await pool.end();
  }
}
