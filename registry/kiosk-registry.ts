import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile } from '../config/private-files.js';
import { dirname } from 'node:path';
import { createCredentialChangeFeed, type CredentialChange, type CredentialsListener } from './credential-changes.js';
import { type KioskInput, type KioskRecord, kioskRecordSchema, type Lifecycle, lifecycleSchema } from './kiosk.js';
import { migrateRegistry } from './registry-schema.js';
import { generateToken, hashToken, isTokenValid } from './tokens.js';

export class RegistryError extends Error {
  constructor(
    readonly code: 'KIOSK_EXISTS' | 'KIOSK_NOT_FOUND' | 'REGISTRY_UNAVAILABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ProvisionedKiosk {
  kiosk: KioskRecord;
  /** The machine's MQTT password. Shown once: only its hash is kept. */
  token: string;
}

export interface KioskRegistry {
  list(): KioskRecord[];
  get(id: string): KioskRecord | undefined;
  /** Creates a machine and its token; fails with KIOSK_EXISTS if the id is taken. */
  provision(input: KioskInput): ProvisionedKiosk;
  /** Creates the machines that do not exist yet, in one transaction; returns only the new ones. */
  provisionMissing(inputs: readonly KioskInput[]): ProvisionedKiosk[];
  /** Replaces a machine's token; the old one stops working at once (also ends a revocation). */
  rotateToken(id: string): string;
  /** Revokes a machine's credentials: no token works until the next rotation. */
  revoke(id: string): void;
  /** Whether a machine's credentials are revoked (false for an unknown machine). */
  isRevoked(id: string): boolean;
  /**
   * Calls `listener` after a machine's token was rotated or revoked, so the broker can disconnect
   * it: at once for a change through this registry, within `credentialsPollMs` for one another
   * process made on the same file. Each change is announced once. Returns the unsubscribe function.
   */
  onCredentialsChanged(listener: CredentialsListener): () => void;
  setLifecycle(id: string, lifecycle: Lifecycle): KioskRecord;
  /** Constant-time check of a machine's MQTT password. */
  verifyToken(id: string, token: Buffer | string | undefined): boolean;
  close(): void;
}

export type { CredentialChange, CredentialsListener };

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

/**
 * The stored hash of a revoked machine. Not hex, so no presented token can ever match it
 * (isTokenValid compares 32-byte SHA-256 digests).
 */
const REVOKED = 'revoked';

interface Row {
  id: string;
  record: string;
  token_hash: string;
}

/** The machine registry in its own SQLite file, shared by the broker, collector and dashboard. */
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

  return {
    list: () => selectAll.all().map(toRecord),
    get: (id) => {
      const row = selectOne.get(id);
      return row && toRecord(row);
    },
    provision: provisionOne,
    provisionMissing: db.transaction((inputs: readonly KioskInput[]) =>
      inputs.filter((input) => !selectOne.get(String(input.id))).map(provisionOne),
    ),
    rotateToken(id) {
      const token = generateToken();
      changeToken(id, hashToken(token), 'rotated');
      return token;
    },
    revoke: (id) => changeToken(id, REVOKED, 'revoked'),
    isRevoked: (id) => selectOne.get(id)?.token_hash === REVOKED,
    onCredentialsChanged: (listener) => credentialChanges.subscribe(listener),
    setLifecycle(id, lifecycle) {
      const kiosk = { ...toRecord(mustGet(id)), lifecycle: lifecycleSchema.parse(lifecycle) };
      updateRecord.run(JSON.stringify(kiosk), id);
      return kiosk;
    },
    verifyToken: (id, token) => isTokenValid(token, selectOne.get(id)?.token_hash),
    close() {
      credentialChanges.close();
      db.close();
    },
  };
}
