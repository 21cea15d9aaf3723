import { type Alert, alertStateOf, alertTitle } from '../collector/domain/alerts.js';
import { type EscalationPolicy, responseOf } from '../collector/domain/escalation.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** An alert as the API and the live push show it: times as ISO instants, its standing against the promise. */
export function toAlertView(alert: Alert, policy: EscalationPolicy, nowMs: number) {
  const response = responseOf(alert, nowMs, policy);
  return {
    id: alert.id,
    kioskId: alert.kioskId,
    state: alertStateOf(alert),
    title: alertTitle(alert),
    component: alert.component,
    severity: alert.severity,
    impact: alert.impact,
    openedAt: iso(alert.openedAtMs),
    problems: alert.problems.map((p) => ({
      kind: p.kind,
      component: p.component,
      code: p.code,
      severity: p.severity,
      blocksLending: p.isBlocking,
      since: iso(p.sinceMs),
      endedAt: p.endedAtMs === null ? null : iso(p.endedAtMs),
    })),
    acknowledged: alert.acknowledged ? { by: alert.acknowledged.by, at: iso(alert.acknowledged.atMs) } : null,
    assignee: alert.assignee ? { name: alert.assignee.name, by: alert.assignee.by, at: iso(alert.assignee.atMs) } : null,
    resolved: alert.resolved
      ? { at: iso(alert.resolved.atMs), how: alert.resolved.how, by: alert.resolved.by, reason: alert.resolved.reason }
      : null,
    escalations: alert.escalations.map((e) => ({
      step: e.step,
      percent: e.percent,
      at: iso(e.atMs),
      dueAt: iso(e.dueAtMs),
      skipped: e.isSkipped,
    })),
    response: {
      promiseHours: policy.promiseMs / 3_600_000,
      deadline: iso(response.deadlineAtMs),
      timeToAcknowledgeMs: response.timeToAcknowledgeMs,
      timeToRestoreMs: response.timeToRestoreMs,
      isRestoredWithinPromise: response.isRestoredWithinPromise,
    },
    history: alert.history.map((h) => ({ at: iso(h.atMs), action: h.action, by: h.by, detail: h.detail })),
  };
}
export type AlertView = ReturnType<typeof toAlertView>;
