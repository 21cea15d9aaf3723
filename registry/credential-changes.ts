import type { Database } from 'better-sqlite3';

export type CredentialChange = 'rotated' | 'revoked';
export type CredentialsListener = (kioskId: string, change: CredentialChange) => void;

export interface CredentialChangeFeedOptions {
  /** How often to look for changes committed by other connections; 0 for changes through this one only. */
  pollMs: number;
  /** Whether a stored token hash is the revocation marker. */
  isRevokedHash(tokenHash: string): boolean;
  /** Called when looking for other connections' changes fails, once per run of failures. */
  onPollError?: ((error: unknown) => void) | undefined;
}

export interface CredentialChangeFeed {
  /** Announces a change made through this connection, stamped `version` by the same statement. */
  announceOwn(kioskId: string, change: CredentialChange, version: number): void;
  subscribe(listener: CredentialsListener): () => void;
  close(): void;
}

interface ChangedRow {
  id: string;
  token_hash: string;
  credentials_version: number;
}

/**
 * Tells listeners of every change of a machine's credentials: at once for a change made through
 * this registry, within `pollMs` for one another process committed to the same file (a revocation
 * through the dashboard of `kiosk-fleet collector`, with the broker in `kiosk-fleet broker`).
 *
 * Polling costs almost nothing while nobody else writes: `PRAGMA data_version` changes only when
 * another connection committed, and only then is the index on `credentials_version` read for the
 * rows changed since the last look. The feed polls only while someone listens (the broker). Each
 * change is announced once: changes this registry made and announced itself are skipped when the
 * poll finds them, so a machine that reconnected with its new token is not dropped a second time.
 */
export function createCredentialChangeFeed(db: Database, options: CredentialChangeFeedOptions): CredentialChangeFeed {
  const { pollMs, isRevokedHash, onPollError } = options;
  const maxVersion = db.prepare<[], number>('SELECT COALESCE(MAX(credentials_version), 0) FROM kiosks').pluck();
  const changedSince = db.prepare<[number], ChangedRow>(
    'SELECT id, token_hash, credentials_version FROM kiosks WHERE credentials_version > ? ORDER BY credentials_version',
  );
  const listeners = new Set<CredentialsListener>();
  /** Versions this registry announced itself that a poll has not passed yet. */
  const ownVersions = new Set<number>();
  let seenVersion = 0;
  let seenDataVersion = 0;
  let isFailing = false;
  let timer: NodeJS.Timeout | undefined;

  // Prepared once: db.pragma() prepares on every call, which costs twice the pragma itself.
  const dataVersionOf = db.prepare<[], number>('PRAGMA data_version').pluck();
  const dataVersion = () => dataVersionOf.get() ?? 0;
  const announce = (kioskId: string, change: CredentialChange) => {
    for (const listener of [...listeners]) listener(kioskId, change);
  };

  function poll(): void {
    try {
      // Read before the rows: a commit landing between the two is found now and looked for again.
      const current = dataVersion();
      if (current === seenDataVersion) return;
      for (const row of changedSince.all(seenVersion)) {
        seenVersion = row.credentials_version;
        if (ownVersions.delete(row.credentials_version)) continue;
        announce(row.id, isRevokedHash(row.token_hash) ? 'revoked' : 'rotated');
      }
      for (const version of ownVersions) if (version <= seenVersion) ownVersions.delete(version);
      seenDataVersion = current;
      isFailing = false;
    } catch (error) {
      // Retried at the next poll from the last version announced; reported once, not four times a second.
      if (!isFailing) onPollError?.(error);
      isFailing = true;
    }
  }

  function startPolling(): void {
    if (pollMs <= 0) return;
    seenVersion = maxVersion.get() ?? 0;
    seenDataVersion = dataVersion();
    ownVersions.clear();
    timer = setInterval(poll, pollMs);
    timer.unref(); // an open registry must not keep a finished command alive
  }

  function stopPolling(): void {
    clearInterval(timer);
    timer = undefined;
  }

  return {
    announceOwn(kioskId, change, version) {
      if (timer !== undefined) {
        // Versions are handed out one after another by serialized writes: the next one expected
        // leaves nothing unseen before it, so no poll needs to skip it.
        if (version === seenVersion + 1) seenVersion = version;
        else ownVersions.add(version);
      }
      announce(kioskId, change);
    },
    subscribe(listener) {
      if (listeners.size === 0) startPolling();
      listeners.add(listener);
      return () => {
        if (listeners.delete(listener) && listeners.size === 0) stopPolling();
      };
    },
    close: stopPolling,
  };
}
