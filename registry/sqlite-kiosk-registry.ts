import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile } from '../config/private-files.js';
import { dirname } from 'node:path';
import { createCredentialChangeFeed, type CredentialChange } from './credential-changes.js';
import { type KioskRegistry, type ProvisionedKiosk, RegistryError, REVOKED_TOKEN_HASH } from './kiosk-registry.js';
import { type KioskInput, type KioskRecord, kioskRecordSchema, lifecycleSchema } from './kiosk.js';
import { migrateRegistry } from './registry-schema.js';
import { generateToken, hashToken, isTokenValid } from './tokens.js';

export interface KioskRegistryOptions {
  /**
   * How often, while someone listens for credential changes, to look for those other processes
   * committed. Default 250 ms: a revocation through another process's dashboard disconnects the
   * machine well within 1 s. 0: changes through this registry only.
   */
  credentialsPollMs?: number;
  /** Called when looking for other processes' credential changes fails (once per run of failures). */
  onCredentialsPollError?: (error: unknown) => void;
}

export const KIOSK_REGISTRY_DEFAULTS = Object.freeze({ credentialsPollMs: 250 });

const REVOKED = REVOKED_TOKEN_HASH;

interface Row {
  id: string;
  record: string;
  token_hash: string;
}

/**
 * The machine registry in its own SQLite file, shared by the broker, collector and dashboard (and by
 * `kiosk-fleet broker` and `kiosk-fleet collector` as separate processes on one DATA_DIR).
 */
export function openKioskRegistry(file: string, options: KioskRegistryOptions = {}): KioskRegistry {
  let db: Database.Database | undefined;
  try {
    ensurePrivateDir(dirname(file));
    ensurePrivateFile(file);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    // The broker checks every machine's token here: a damaged file must stop the start, not turn
    // into refusals (or worse) later. quick_check reads every page; the registry is small.
    const integrity = db.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`integrity check failed: ${String(integrity)}`);
    migrateRegistry(db);
    db.prepare('SELECT id, record, token_hash, created_ms, credentials_version FROM kiosks LIMIT 1').all();
  } catch (cause) {
    db?.close();
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new RegistryError('REGISTRY_UNAVAILABLE', `cannot open the machine registry at ${file}: ${reason}`, { cause });
  }
  const selectAll = db.prepare<[], Row>('SELECT id, record, token_hash FROM kiosks ORDER BY id');
  const selectOne = db.prepare<[string], Row>('SELECT id, record, token_hash FROM kiosks WHERE id = ?');
  const insert = db.prepare('INSERT INTO kiosks (id, record, token_hash, created_ms) VALUES (?, ?, ?, ?)');
  // One statement, so one transaction: the token and the change counter move together.
  const updateToken = db
    .prepare<[string, string], number>(
      `UPDATE kiosks SET token_hash = ?,
         credentials_version = (SELECT COALESCE(MAX(credentials_version), 0) + 1 FROM kiosks)
       WHERE id = ? RETURNING credentials_version`,
    )
    .pluck();
  const updateRecord = db.prepare('UPDATE kiosks SET record = ? WHERE id = ?');

  const toRecord = (row: Row): KioskRecord => JSON.parse(row.record) as KioskRecord;
  const credentialChanges = createCredentialChangeFeed(db, {
    pollMs: options.credentialsPollMs ?? KIOSK_REGISTRY_DEFAULTS.credentialsPollMs,
    isRevokedHash: (hash) => hash === REVOKED,
    onPollError: options.onCredentialsPollError,
  });
  const changeToken = (id: string, tokenHash: string, change: CredentialChange) => {
    mustGet(id);
    const version = updateToken.get(tokenHash, id);
    if (version === undefined) throw new RegistryError('KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
    credentialChanges.announceOwn(id, change, version);
  };

  function provisionOne(input: KioskInput): ProvisionedKiosk {
    const kiosk = kioskRecordSchema.parse(input);
    if (selectOne.get(kiosk.id)) throw new RegistryError('KIOSK_EXISTS', `kiosk ${kiosk.id} already exists`);
    const token = generateToken();
    try {
      insert.run(kiosk.id, JSON.stringify(kiosk), hashToken(token), Date.now());
    } catch (cause) {
      // Another process registered the same id between the check and the insert.
      if ((cause as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new RegistryError('KIOSK_EXISTS', `kiosk ${kiosk.id} already exists`, { cause });
      }
      throw cause;
    }
    return { kiosk, token };
  }

  function mustGet(id: string): Row {
    const row = selectOne.get(id);
    if (!row) throw new RegistryError('KIOSK_NOT_FOUND', `no kiosk with id ${id}`);
    return row;
  }

  const provisionMissing = db.transaction((inputs: readonly KioskInput[]) =>
    inputs.filter((input) => !selectOne.get(String(input.id))).map(provisionOne),
  );
  // SQLite answers at once: each write is done synchronously and its promise settles with it, so
  // the write is visible to this registry's reads as soon as the call returns.
  return {
    list: () => selectAll.all().map(toRecord),
    get: (id) => {
      const row = selectOne.get(id);
      return row && toRecord(row);
    },
    isRevoked: (id) => selectOne.get(id)?.token_hash === REVOKED,
    verifyToken: (id, token) => isTokenValid(token, selectOne.get(id)?.token_hash),
    provision: async (input) => provisionOne(input),
    provisionMissing: async (inputs) => provisionMissing(inputs),
    async rotateToken(id) {
      const token = generateToken();
      changeToken(id, hashToken(token), 'rotated');
      return token;
    },
    revoke: async (id) => changeToken(id, REVOKED, 'revoked'),
    onCredentialsChanged: (listener) => credentialChanges.subscribe(listener),
    async setLifecycle(id, lifecycle) {
      const kiosk = { ...toRecord(mustGet(id)), lifecycle: lifecycleSchema.parse(lifecycle) };
      updateRecord.run(JSON.stringify(kiosk), id);
      return kiosk;
    },
    async setHiddenFromStatusPage(id, isHidden) {
      const { isHiddenFromStatusPage: _previous, ...rest } = toRecord(mustGet(id));
      const kiosk: KioskRecord = isHidden ? { ...rest, isHiddenFromStatusPage: true } : rest;
      updateRecord.run(JSON.stringify(kiosk), id);
      return kiosk;
    },
    async close() {
      credentialChanges.close();
      db.close();
    },
  };
}
