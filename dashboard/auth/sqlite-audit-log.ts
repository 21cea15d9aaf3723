import type Database from 'better-sqlite3';
import type { AuditEntry, AuditLog, AuditOutcome } from './audit-log.js';

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

/** The audit log in the users database (auth-db.ts holds its table and the triggers that keep it append-only). */
export function createSqliteAuditLog(db: Database.Database): AuditLog {
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
    // Committed before it returns.
    record: (entry) => void insert.run(entry),
    query: async (q) =>
      select
        .all({
          from: q.fromMs ?? 0,
          to: q.toMs ?? Number.MAX_SAFE_INTEGER,
          actor: q.actor ?? null,
          action: q.action ?? null,
          limit: q.limit,
        })
        .map(({ at_ms, ...row }): AuditEntry => ({ at: new Date(at_ms).toISOString(), ...row })),
  };
}
