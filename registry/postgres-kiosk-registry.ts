import type pg from 'pg';
import { migratePostgresSchema, type PostgresMigration } from '../config/postgres-migrations.js';
import { listenToPostgres } from '../config/postgres-listener.js';
import { createPostgresPool, inTransaction } from '../config/postgres-pool.js';
import { type KioskRegistry, type ProvisionedKiosk, RegistryError, REVOKED_TOKEN_HASH } from './kiosk-registry.js';
import type { CredentialsListener } from './credential-changes.js';
import { type KioskRecord, kioskRecordSchema, lifecycleSchema } from './kiosk.js';
import { generateToken, hashToken, isTokenValid } from './tokens.js';

/** The name the registry's schema versions are recorded under in `schema_migrations`. */
export const REGISTRY_COMPONENT = 'registry';
/** The channel every change of a machine's row is announced on (payload: the machine's id). */
export const REGISTRY_CHANNEL = 'kiosk_registry';

const MIGRATIONS: readonly PostgresMigration[] = [
  // 1: the machines and the hashes of their tokens. Every change of a row takes a new `version`
  // from one sequence (a row's versions only grow: its updates are serialized by its row lock), and
  // a change of its token also moves `credentials_version`, even one typed by hand in psql. Every
  // change is announced on the channel at commit, so each node's copy follows within moments.
  `
  CREATE SEQUENCE kiosk_registry_changes;
  CREATE TABLE kiosks (
    id text COLLATE "C" PRIMARY KEY,
    record text NOT NULL,
    token_hash text NOT NULL,
    created_ms bigint NOT NULL,
    version bigint NOT NULL,
    credentials_version bigint NOT NULL DEFAULT 0
  );
  CREATE FUNCTION kiosks_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.version := nextval('kiosk_registry_changes');
      IF TG_OP = 'UPDATE' AND NEW.token_hash IS DISTINCT FROM OLD.token_hash
         AND NEW.credentials_version = OLD.credentials_version THEN
        NEW.credentials_version := NEW.version;
      END IF;
      RETURN NEW;
    END
  $$;
  CREATE TRIGGER kiosks_stamp BEFORE INSERT OR UPDATE ON kiosks
    FOR EACH ROW EXECUTE FUNCTION kiosks_stamp();
  CREATE FUNCTION kiosks_announce() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('${REGISTRY_CHANNEL}', COALESCE(NEW.id, OLD.id));
      RETURN NULL;
    END
  $$;
  CREATE TRIGGER kiosks_announce AFTER INSERT OR UPDATE OR DELETE ON kiosks
    FOR EACH ROW EXECUTE FUNCTION kiosks_announce();
  `,
];

const COLUMNS = 'id, record, token_hash, version, credentials_version';

interface Row {
  id: string;
  record: string;
  token_hash: string;
  version: number;
  credentials_version: number;
}

interface Entry {
  record: KioskRecord;
  tokenHash: string;
  version: number;
  credentialsVersion: number;
}

export interface PostgresKioskRegistryOptions {
  /** `postgres://…`, as DATABASE_URL. */
  url: string;
  /** Told when following other nodes' changes fails (the listening connection lost, a reload refused). */
  onFollowError?: (error: unknown) => void;
}

/**
 * The machine registry in PostgreSQL (DATABASE_URL), shared by every node. Each instance keeps the
 * whole registry in memory (a city network is 10,000 rows, a few MB) so reads and token checks
 * stay synchronous, loads it at open, and follows every change through `LISTEN`: a trigger
 * announces each changed row's id at commit and the instance reads that row again (ids arriving
 * together in one query). A revocation on one node is refused by every node within moments, and
 * its listeners (the broker) disconnect the machine. If the listening connection is lost, the
 * instance reconnects and reads the whole registry again, announcing what changed meanwhile.
 *
 * Rows are applied only when newer than the copy held (`version`), and a credential change is
 * announced when `credentials_version` moves, so a change is announced once whether this node
 * learns it from its own write or from the notification.
 */
/** The registry in PostgreSQL, which also tells whether it hears the database (its LISTEN connection). */
export interface PostgresKioskRegistry extends KioskRegistry {
  /** False while the listening connection is lost: the database is down or unreachable. */
  isFollowing(): boolean;
}

export async function openPostgresKioskRegistry(options: PostgresKioskRegistryOptions): Promise<PostgresKioskRegistry> {
  const pool = createPostgresPool({
    url: options.url,
    applicationName: 'kiosk-fleet registry',
    maxConnections: 3,
    onIdleError: (error) => options.onFollowError?.(error),
  });
  const entries = new Map<string, Entry>();
  const listeners = new Set<CredentialsListener>();
  const pendingIds = new Set<string>();
  let reloading: Promise<void> | undefined;
  let isClosed = false;

  function apply(row: Row): void {
    const held = entries.get(row.id);
    if (held !== undefined && row.version <= held.version) return;
    entries.set(row.id, {
      record: kioskRecordSchema.parse(JSON.parse(row.record)),
      tokenHash: row.token_hash,
      version: row.version,
      credentialsVersion: row.credentials_version,
    });
    if (held !== undefined && row.credentials_version > held.credentialsVersion) {
      const change = row.token_hash === REVOKED_TOKEN_HASH ? 'revoked' : 'rotated';
      for (const listener of [...listeners]) listener(row.id, change);
    }
  }

  /** Reads the named rows again (all of them without `ids`); rows gone are dropped. */
  async function reload(ids?: readonly string[]): Promise<void> {
    const { rows } =
      ids === undefined
        ? await pool.query<Row>(`SELECT ${COLUMNS} FROM kiosks`)
        : await pool.query<Row>(`SELECT ${COLUMNS} FROM kiosks WHERE id = ANY($1)`, [ids]);
    const found = new Set(rows.map((row) => row.id));
    for (const id of ids ?? [...entries.keys()]) if (!found.has(id)) entries.delete(id);
    for (const row of rows) apply(row);
  }

  /** Reads announced rows one query at a time, taking every id announced while the last ran. */
  function follow(id: string | undefined): void {
    if (id !== undefined) pendingIds.add(id);
    reloading ??= (async () => {
      while (pendingIds.size > 0 && !isClosed) {
        const ids = [...pendingIds];
        pendingIds.clear();
        try {
          await reload(ids);
        } catch (error) {
          // The notification is spent: read the rows again when the database answers.
          options.onFollowError?.(error);
          for (const failed of ids) pendingIds.add(failed);
          await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
        }
      }
      reloading = undefined;
    })();
  }

  let listener: Awaited<ReturnType<typeof listenToPostgres>> | undefined;
  try {
    await migratePostgresSchema(pool, REGISTRY_COMPONENT, MIGRATIONS);
    // Listen before loading: a change committed in between is announced and read again.
    listener = await listenToPostgres({
      url: options.url,
      channel: REGISTRY_CHANNEL,
      applicationName: 'kiosk-fleet registry changes',
      onNotify: (id) => follow(id),
      onResync: () => {
        for (const id of entries.keys()) pendingIds.add(id);
        void reload().catch((error: unknown) => options.onFollowError?.(error));
      },
      onError: options.onFollowError,
    });
    await reload();
  } catch (cause) {
    await listener?.close();
    await pool.end().catch(() => undefined);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new RegistryError('REGISTRY_UNAVAILABLE', `cannot open the machine registry in PostgreSQL: ${reason}`, { cause });
  }

  async function write<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (cause) {
      if (cause instanceof RegistryError || (cause as { name?: string }).name === 'ZodError') throw cause;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new RegistryError('REGISTRY_UNAVAILABLE', `cannot write to the machine registry: ${reason}`, { cause });
    }
  }

  const notFound = (id: string) => new RegistryError('KIOSK_NOT_FOUND', `no kiosk with id ${id}`);

  async function insertMany(client: pg.PoolClient | pg.Pool, kiosks: readonly KioskRecord[], tokens: readonly string[]) {
    const { rows } = await client.query<Row>(
      `INSERT INTO kiosks (id, record, token_hash, created_ms)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [kiosks.map((k) => k.id), kiosks.map((k) => JSON.stringify(k)), tokens.map(hashToken), kiosks.map(() => Date.now())],
    );
    return rows;
  }

  async function changeToken(id: string, tokenHash: string): Promise<void> {
    const { rows } = await pool.query<Row>(
      `UPDATE kiosks SET token_hash = $1, credentials_version = nextval('kiosk_registry_changes')
       WHERE id = $2 RETURNING ${COLUMNS}`,
      [tokenHash, id],
    );
    if (rows[0] === undefined) throw notFound(id);
    apply(rows[0]);
  }

  async function changeRecord(id: string, change: (record: KioskRecord) => KioskRecord): Promise<KioskRecord> {
    const { row, record } = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM kiosks WHERE id = $1 FOR UPDATE`, [id]);
      if (rows[0] === undefined) throw notFound(id);
      const changed = change(kioskRecordSchema.parse(JSON.parse(rows[0].record)));
      const updated = await client.query<Row>(`UPDATE kiosks SET record = $1 WHERE id = $2 RETURNING ${COLUMNS}`, [
        JSON.stringify(changed),
        id,
      ]);
      return { row: updated.rows[0]!, record: changed };
    });
    apply(row);
    return record;
  }

  return {
    isFollowing: () => listener?.isConnected() ?? false,
    list: () => [...entries.values()].map((e) => e.record).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    get: (id) => entries.get(id)?.record,
    isRevoked: (id) => entries.get(id)?.tokenHash === REVOKED_TOKEN_HASH,
    verifyToken: (id, token) => isTokenValid(token, entries.get(id)?.tokenHash),
    provision: (input) =>
      write(async () => {
        const kiosk = kioskRecordSchema.parse(input);
        const token = generateToken();
        const [row] = await insertMany(pool, [kiosk], [token]);
        if (row === undefined) throw new RegistryError('KIOSK_EXISTS', `kiosk ${kiosk.id} already exists`);
        apply(row);
        return { kiosk, token };
      }),
    provisionMissing: (inputs) =>
      write(async () => {
        const kiosks = inputs.map((input) => kioskRecordSchema.parse(input));
        const { fresh, tokens, rows } = await inTransaction(pool, async (client) => {
          const { rows } = await client.query<{ id: string }>('SELECT id FROM kiosks WHERE id = ANY($1)', [
            kiosks.map((k) => k.id),
          ]);
          const existing = new Set(rows.map((row) => row.id));
          const fresh = kiosks.filter((k) => !existing.has(k.id));
          const ids = new Set<string>();
          for (const kiosk of fresh) {
            if (ids.has(kiosk.id)) throw new RegistryError('KIOSK_EXISTS', `kiosk ${kiosk.id} appears twice`);
            ids.add(kiosk.id);
          }
          const tokens = fresh.map(() => generateToken());
          // A machine another node registered meanwhile is not new: it is left out, as it exists.
          return { fresh, tokens, rows: await insertMany(client, fresh, tokens) };
        });
        for (const row of rows) apply(row);
        const inserted = new Set(rows.map((row) => row.id));
        return fresh.map((kiosk, i): ProvisionedKiosk => ({ kiosk, token: tokens[i]! })).filter((p) => inserted.has(p.kiosk.id));
      }),
    rotateToken: (id) =>
      write(async () => {
        const token = generateToken();
        await changeToken(id, hashToken(token));
        return token;
      }),
    revoke: (id) => write(() => changeToken(id, REVOKED_TOKEN_HASH)),
    onCredentialsChanged(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    setLifecycle: (id, lifecycle) =>
      write(() => changeRecord(id, (record) => ({ ...record, lifecycle: lifecycleSchema.parse(lifecycle) }))),
    setHiddenFromStatusPage: (id, isHidden) =>
      write(() =>
        changeRecord(id, ({ isHiddenFromStatusPage: _previous, ...rest }) =>
          isHidden ? { ...rest, isHiddenFromStatusPage: true } : rest,
        ),
      ),
    async close() {
      isClosed = true;
      await listener?.close();
      await reloading;
      await pool.end();
    },
  };
}
