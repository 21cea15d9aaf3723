import type { CredentialChange, CredentialsListener } from './credential-changes.js';
import type { KioskInput, KioskRecord, Lifecycle } from './kiosk.js';

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

/**
 * The machine registry: records and the hashes of their MQTT tokens. Adapters: SQLite
 * (`sqlite-kiosk-registry.ts`, the default) and PostgreSQL (`postgres-kiosk-registry.ts`, with
 * DATABASE_URL); both pass `tests/contract/kiosk-registry-contract.ts`.
 *
 * Reads are synchronous: the broker checks a token on every connection and the dashboard names
 * machines in every answer, so an adapter on a server keeps the registry (thousands of rows) in
 * memory, kept current by the server's change notifications. Writes are asynchronous and resolve
 * once committed, after which this instance's reads show them; other instances on the same
 * storage see them within a second.
 */
export interface KioskRegistry {
  list(): KioskRecord[];
  get(id: string): KioskRecord | undefined;
  /** Whether a machine's credentials are revoked (false for an unknown machine). */
  isRevoked(id: string): boolean;
  /** Constant-time check of a machine's MQTT password. */
  verifyToken(id: string, token: Buffer | string | undefined): boolean;
  /** Creates a machine and its token; fails with KIOSK_EXISTS if the id is taken. */
  provision(input: KioskInput): Promise<ProvisionedKiosk>;
  /** Creates the machines that do not exist yet, in one transaction; returns only the new ones. */
  provisionMissing(inputs: readonly KioskInput[]): Promise<ProvisionedKiosk[]>;
  /** Replaces a machine's token; the old one stops working at once (also ends a revocation). */
  rotateToken(id: string): Promise<string>;
  /** Revokes a machine's credentials: no token works until the next rotation. */
  revoke(id: string): Promise<void>;
  /**
   * Calls `listener` after a machine's token was rotated or revoked, so the broker can disconnect
   * it: at once for a change through this registry, within a second for one made through another
   * instance on the same storage (another process, another node). Each change is announced once.
   * Returns the unsubscribe function.
   */
  onCredentialsChanged(listener: CredentialsListener): () => void;
  setLifecycle(id: string, lifecycle: Lifecycle): Promise<KioskRecord>;
  /** Shows a machine on the public status page, or hides it from it. */
  setHiddenFromStatusPage(id: string, isHidden: boolean): Promise<KioskRecord>;
  close(): Promise<void>;
}

export type { CredentialChange, CredentialsListener };

/**
 * The stored hash of a revoked machine. Not hex, so no presented token can ever match it
 * (isTokenValid compares 32-byte SHA-256 digests).
 */
export const REVOKED_TOKEN_HASH = 'revoked';
