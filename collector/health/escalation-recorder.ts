import type { Alert } from '../domain/alerts.js';
import { type DueEscalation, dueEscalation, type EscalationPolicy } from '../domain/escalation.js';
import type { Ingest } from '../ingest.js';
import { platformRecord } from './platform-record.js';

/**
 * Records the escalations due at `atMs` among open alerts, as `alert_escalated` events whose ids
 * follow from alert and step: a step is recorded once, whatever the number of checks or restarts.
 * Answers the escalations this call recorded for the first time.
 */
export async function recordDueEscalations(
  openAlerts: readonly Alert[],
  atMs: number,
  options: { ingest: Pick<Ingest, 'recordPlatformEvents'>; policy: EscalationPolicy; nowMs: number },
): Promise<DueEscalation[]> {
  const due = openAlerts.flatMap((alert) => dueEscalation(alert, atMs, options.policy) ?? []);
  if (due.length === 0) return [];
  const records = due.map((d) =>
    platformRecord(
      d.kioskId,
      { type: 'alert_escalated', alertId: d.alertId, step: d.step, percent: d.percent, dueAt: new Date(d.dueAtMs).toISOString() },
      { atMs, nowMs: options.nowMs, id: `alert_escalated-${d.alertId}-${d.step}` },
    ),
  );
  const inserted = new Set((await options.ingest.recordPlatformEvents(records)).inserted);
  return due.filter((_, i) => inserted.has(records[i]!.id));
}
