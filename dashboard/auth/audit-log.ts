export type AuditOutcome = 'ok' | 'failed' | 'denied' | 'rate_limited';

export interface AuditEntry {
  at: string;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  address: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

/** An entry as it is recorded: its time in epoch milliseconds. */
export type AuditRecord = Omit<AuditEntry, 'at'> & { atMs: number };

export interface AuditQuery {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  limit: number;
}

/**
 * Every human action, appended; the database refuses UPDATE and DELETE. Adapters: SQLite, in the
 * users database (sqlite-audit-log.ts), and PostgreSQL (postgres-audit-log.ts); both pass
 * tests/contract/audit-log-contract.ts.
 */
export interface AuditLog {
  /**
   * Takes the entry at once and keeps entries in the order recorded. It returns nothing to wait
   * for because actions are audited where nobody can wait (after a response has gone out).
   */
  record(entry: AuditRecord): void;
  /** Newest first; sees every entry recorded before it was called. */
  query(q: AuditQuery): Promise<AuditEntry[]>;
}
