import type { Alert } from './alerts.js';

/**
 * The fault-response promise (docs/domain.md: faults acted on within 24 hours) and the
 * shares of it after which an alert nobody has acknowledged is escalated.
 */
export interface EscalationPolicy {
  promiseMs: number;
  /** Percent of the promise, ascending: 50, 80, 100. */
  stepsPercent: readonly number[];
}

export const DEFAULT_ESCALATION_POLICY: EscalationPolicy = Object.freeze({
  promiseMs: 24 * 3_600_000,
  stepsPercent: Object.freeze([50, 80, 100]),
});

export interface DueEscalation {
  alertId: string;
  kioskId: string;
  /** 1-based index into the policy's steps. */
  step: number;
  percent: number;
  dueAtMs: number;
}

/**
 * The escalation an alert is due at `nowMs`, if any: the highest step whose time has passed and
 * that was not recorded yet, while the alert is neither acknowledged nor resolved. Steps passed
 * together (an alert learnt of late, a platform restart) give one escalation, the highest.
 */
export function dueEscalation(alert: Alert, nowMs: number, policy: EscalationPolicy): DueEscalation | null {
  if (alert.resolved || alert.acknowledged) return null;
  const lastStep = alert.escalations.reduce((max, e) => Math.max(max, e.step), 0);
  for (let step = policy.stepsPercent.length; step > lastStep; step--) {
    const percent = policy.stepsPercent[step - 1]!;
    const dueAtMs = alert.openedAtMs + Math.round((policy.promiseMs * percent) / 100);
    if (dueAtMs <= nowMs) return { alertId: alert.id, kioskId: alert.kioskId, step, percent, dueAtMs };
  }
  return null;
}

/** How an alert stands against the promise. */
export interface AlertResponse {
  deadlineAtMs: number;
  timeToAcknowledgeMs: number | null;
  timeToRestoreMs: number | null;
  /** True or false once decided (restored, or the deadline passed); null while still open in time. */
  isRestoredWithinPromise: boolean | null;
}

export function responseOf(alert: Alert, nowMs: number, policy: EscalationPolicy): AlertResponse {
  const deadlineAtMs = alert.openedAtMs + policy.promiseMs;
  const timeToRestoreMs = alert.resolved ? Math.max(0, alert.resolved.atMs - alert.openedAtMs) : null;
  return {
    deadlineAtMs,
    timeToAcknowledgeMs: alert.acknowledged ? Math.max(0, alert.acknowledged.atMs - alert.openedAtMs) : null,
    timeToRestoreMs,
    isRestoredWithinPromise: timeToRestoreMs !== null ? timeToRestoreMs <= policy.promiseMs : nowMs > deadlineAtMs ? false : null,
  };
}
