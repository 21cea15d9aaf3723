import type { Alert } from '../domain/alerts.js';
import { type DueEscalation, dueEscalation, type EscalationPolicy, type EscalationStep } from '../domain/escalation.js';
import type { Ingest } from '../ingest.js';
import { platformRecord } from './platform-record.js';

/**
 * Records the escalations due at `atMs` among open alerts, as `alert_escalated` events whose ids
 * follow from alert and step: a step is recorded once, whatever the number of checks, restarts or
 * nodes (another node's record of the step, dated by its own check, is refused as taken: not ours).
 * Lower steps passed unobserved are recorded too, marked `skipped`, before the step they led to.
 * Answers the escalations this call recorded for the first time: only those are sent, never a
 * skipped step.
 */
export async function recordDueEscalations(
  openAlerts: readonly Alert[],
  atMs: number,
  options: { ingest: Pick<Ingest, 'recordPlatformEvents'>; policy: EscalationPolicy; nowMs: number },
): Promise<DueEscalation[]> {
  const due = openAlerts.flatMap((alert) => dueEscalation(alert, atMs, options.policy) ?? []);
  if (due.length === 0) return [];
  const record = (d: DueEscalation, step: EscalationStep, isSkipped: boolean) =>
    platformRecord(
      d.kioskId,
      {
        type: 'alert_escalated',
        alertId: d.alertId,
        step: step.step,
        percent: step.percent,
        dueAt: new Date(step.dueAtMs).toISOString(),
        ...(isSkipped ? { skipped: true } : {}),
      },
      { atMs, nowMs: options.nowMs, id: `alert_escalated-${d.alertId}-${step.step}` },
    );
  const sent = due.map((d) => record(d, d, false));
  const records = due.flatMap((d, i) => [...d.skipped.map((s) => record(d, s, true)), sent[i]!]);
  const inserted = new Set((await options.ingest.recordPlatformEvents(records)).inserted);
  return due.filter((_, i) => inserted.has(sent[i]!.id));
}
