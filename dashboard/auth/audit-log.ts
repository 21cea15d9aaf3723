import type Database from 'better-sqlite3';

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

export interface AuditQuery {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  limit: number;
}

interface Row {
  at_ms: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  address: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

/** Every human action, appended; triggers refuse UPDATE and DELETE. */
export interface AuditLog {
  record(entry: Omit<AuditEntry, 'at'> & { atMs: number }): void;
  /** Newest first. */
  query(q: AuditQuery): AuditEntry[];
}

export function createAuditLog(db: Database.Database): AuditLog {
  const insert = db.prepare(
    `INSERT INTO audit_log (at_ms, actor, role, action, target, address, outcome, detail)
     VALUES (@atMs, @actor, @role, @action, @target, @address, @outcome, @detail)`,
  );
  const select = db.prepare<Record<string, unknown>, Row>(
    `SELECT at_ms, actor, role, action, target, address, outcome, detail FROM audit_log
     WHERE at_ms >= @from AND at_ms < @to AND (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action = @action)
     ORDER BY seq DESC LIMIT @limit`,
  );
  return {
    record: (entry) => void insert.run(entry),
    query: (q) =>
      select
        .all({
          from: q.fromMs ?? 0,
          to: q.toMs ?? Number.MAX_SAFE_INTEGER,
          actor: q.actor ?? null,
          action: q.action ?? null,
          limit: q.limit,
        })
        .map(({ at_ms, ...row }) => ({ at: new Date(at_ms).toISOString(), ...row })),
  };
}
