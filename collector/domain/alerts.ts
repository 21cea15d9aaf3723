import type { Component, Severity } from '../../protocol/events.js';
import type { HealthEntry } from './health-entry.js';
import { isExpectedInService, isOffline, type MachineCondition, type MachineContext, walkMachine } from './machine-condition.js';
import type { AlertActionEvent } from './platform-events.js';

/** What an alert is about: a peripheral, the machine's connection as a whole, or its lending (not lending). */
export type AlertComponent = Component | 'connection' | 'lending';
export type AlertState = 'open' | 'acknowledged' | 'resolved';

/** Why the platform judged a machine not lending: expected against seen, since when. */
export interface NotLendingEvidence {
  expected: number;
  seen: number;
  probability: number;
  sinceMs: number;
}

/** One thing wrong with the machine that an alert covers: a fault, an offline spell, or not lending. */
export interface AlertProblem {
  /** `f:{faultId}`, `o:{offline since, epoch ms}` or `n:{detected at, epoch ms}`. */
  key: string;
  kind: 'fault' | 'offline' | 'not_lending';
  component: AlertComponent;
  code: string;
  severity: Severity;
  isBlocking: boolean;
  sinceMs: number;
  endedAtMs: number | null;
  /** For `not_lending`: the evidence. */
  evidence?: NotLendingEvidence;
}

export type AlertAction =
  | 'opened'
  | 'problem_added'
  | 'problem_ended'
  | 'acknowledged'
  | 'assigned'
  | 'commented'
  | 'escalated'
  | 'escalation_skipped'
  | 'resolved';

export interface AlertHistoryItem {
  atMs: number;
  action: AlertAction;
  /** The person; null when the machine or the platform did it. */
  by: string | null;
  detail: string;
}

export interface Alert {
  id: string;
  kioskId: string;
  component: AlertComponent;
  severity: Severity;
  /** `out_of_service` when any of its problems stops lending (or the machine is offline). */
  impact: 'out_of_service' | 'degraded';
  openedAtMs: number;
  problems: AlertProblem[];
  acknowledged: { by: string; atMs: number } | null;
  assignee: { name: string; by: string; atMs: number } | null;
  /** Every step recorded; `isSkipped` for a step passed unobserved (recorded, never sent). */
  escalations: { step: number; percent: number; atMs: number; dueAtMs: number; isSkipped: boolean }[];
  resolved: {
    atMs: number;
    how: 'automatic' | 'manual';
    by: string | null;
    /** `fault_cleared` and `back_online` are the machine's own word, `lending_again` its readers'; `crew` a person's. */
    reason: 'fault_cleared' | 'back_online' | 'lending_again' | 'crew';
  } | null;
  history: AlertHistoryItem[];
}

/** A short title: `Machine offline`, `rfid reader: RFID_TIMEOUT, RFID_READ_ERRORS`. */
export function alertTitle(alert: Alert): string {
  if (alert.component === 'connection') return 'Machine offline';
  if (alert.component === 'lending') return 'Online but not lending';
  const codes = [...new Set(alert.problems.map((p) => p.code))].join(', ');
  return `${alert.component.replace(/_/g, ' ')}: ${codes}`;
}

export const alertStateOf = (alert: Alert): AlertState =>
  alert.resolved ? 'resolved' : alert.acknowledged ? 'acknowledged' : 'open';

const SEVERITY_RANK: Record<Severity, number> = { minor: 0, major: 1, critical: 2 };

/** cyrb53: a 53-bit string hash, plenty for ids of a fleet's alerts without a crypto import. */
export function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * An alert's id follows from the machine and the problem that opened it, so a rebuild finds the
 * same ids. Every problem an alert covers has such an id too, and each of them finds the alert.
 */
export const alertIdFor = (kioskId: string, problemKey: string): string =>
  `AL-${kioskId}-${hash53(`${kioskId}\u0000${problemKey}`)}`;

/** The machine an alert id (see alertIdFor) names; undefined for a text that is not one. */
export function kioskIdOfAlertId(alertId: string): string | undefined {
  const end = alertId.lastIndexOf('-');
  return alertId.startsWith('AL-') && end > 3 ? alertId.slice(3, end) : undefined;
}

function problemsOf(c: MachineCondition): AlertProblem[] {
  const problems: AlertProblem[] = [];
  if (isOffline(c) && c.offlineSinceMs !== null) {
    problems.push({
      key: `o:${c.offlineSinceMs}`,
      kind: 'offline',
      component: 'connection',
      code: 'OFFLINE',
      severity: 'critical',
      isBlocking: true,
      sinceMs: c.offlineSinceMs,
      endedAtMs: null,
    });
  }
  if (c.notLending && !isOffline(c)) {
    const { sinceMs, detectedAtMs, expected, seen, probability } = c.notLending;
    problems.push({
      key: `n:${detectedAtMs}`,
      kind: 'not_lending',
      component: 'lending',
      code: 'NOT_LENDING',
      severity: 'major',
      isBlocking: true,
      sinceMs,
      endedAtMs: null,
      evidence: { expected, seen, probability, sinceMs },
    });
  }
  for (const f of c.faults.values()) {
    problems.push({
      key: `f:${f.faultId}`,
      kind: 'fault',
      component: f.component,
      code: f.code,
      severity: f.severity,
      isBlocking: f.isBlocking,
      sinceMs: f.sinceMs,
      endedAtMs: null,
    });
  }
  return problems;
}

function describe(p: AlertProblem): string {
  if (p.kind === 'offline') return 'machine offline';
  if (p.kind === 'not_lending' && p.evidence) {
    const { expected, seen, sinceMs } = p.evidence;
    return `online but not lending: ${seen} loans and returns since ${new Date(sinceMs).toISOString()}, ${expected.toFixed(1)} expected`;
  }
  return `${p.component} ${p.code} (${p.severity})`;
}

function attach(alert: Alert, problem: AlertProblem, atMs: number): void {
  alert.problems.push(problem);
  if (SEVERITY_RANK[problem.severity] > SEVERITY_RANK[alert.severity]) alert.severity = problem.severity;
  if (problem.isBlocking) alert.impact = 'out_of_service';
  alert.history.push({
    atMs,
    action: alert.problems.length === 1 ? 'opened' : 'problem_added',
    by: null,
    detail: describe(problem),
  });
}

function applyAction(alert: Alert, event: AlertActionEvent, atMs: number): void {
  if (event.type === 'alert_escalated') {
    if (alert.escalations.some((e) => e.step === event.step)) return;
    const isSkipped = event.skipped === true;
    alert.escalations.push({ step: event.step, percent: event.percent, atMs, dueAtMs: Date.parse(event.dueAt), isSkipped });
    alert.history.push({
      atMs,
      action: isSkipped ? 'escalation_skipped' : 'escalated',
      by: null,
      detail: isSkipped
        ? `${event.percent} % of the response promise passed unobserved; a later step was sent instead`
        : `${event.percent} % of the response promise passed`,
    });
    return;
  }
  if (event.type === 'alert_commented') {
    alert.history.push({ atMs, action: 'commented', by: event.by, detail: event.text });
    return;
  }
  if (alert.resolved) return;
  const note = event.note ? `: ${event.note}` : '';
  if (event.type === 'alert_acknowledged') {
    if (alert.acknowledged) return;
    alert.acknowledged = { by: event.by, atMs };
    alert.history.push({ atMs, action: 'acknowledged', by: event.by, detail: `acknowledged${note}` });
  } else if (event.type === 'alert_assigned') {
    alert.assignee = { name: event.assignee, by: event.by, atMs };
    alert.history.push({ atMs, action: 'assigned', by: event.by, detail: `assigned to ${event.assignee}${note}` });
  } else {
    alert.resolved = { atMs, how: 'manual', by: event.by, reason: 'crew' };
    alert.history.push({ atMs, action: 'resolved', by: event.by, detail: `resolved by ${event.by}${note}` });
  }
}

/** Marks the alert's problems no longer present as ended; when none is left, the machine resolved it. */
function endGoneProblems(alert: Alert, presentKeys: ReadonlySet<string>, atMs: number): void {
  let lastEnded: AlertProblem | null = null;
  for (const p of alert.problems) {
    if (p.endedAtMs !== null || presentKeys.has(p.key)) continue;
    p.endedAtMs = atMs;
    lastEnded = p;
    alert.history.push({ atMs, action: 'problem_ended', by: null, detail: `${describe(p)} ended` });
  }
  if (!lastEnded || alert.problems.some((p) => p.endedAtMs === null)) return;
  const reason =
    lastEnded.kind === 'offline' ? 'back_online' : lastEnded.kind === 'not_lending' ? 'lending_again' : 'fault_cleared';
  alert.resolved = { atMs, how: 'automatic', by: null, reason };
  alert.history.push({
    atMs,
    action: 'resolved',
    by: null,
    detail: RESOLVED_DETAIL[reason],
  });
}

const RESOLVED_DETAIL = {
  back_online: 'machine back online',
  lending_again: 'readers borrow and return again',
  fault_cleared: 'machine reported the fault cleared',
} as const;

function newAlert(kioskId: string, problem: AlertProblem, atMs: number): Alert {
  const alert: Alert = {
    id: alertIdFor(kioskId, problem.key),
    kioskId,
    component: problem.component,
    severity: problem.severity,
    impact: problem.isBlocking ? 'out_of_service' : 'degraded',
    openedAtMs: atMs,
    problems: [],
    acknowledged: null,
    assignee: null,
    escalations: [],
    resolved: null,
    history: [],
  };
  attach(alert, problem, atMs);
  return alert;
}

const isAlertAction = (entry: HealthEntry): entry is HealthEntry & { event: AlertActionEvent } =>
  entry.event.type.startsWith('alert_');

/**
 * One machine's alerts, oldest first, folded from its history up to `untilMs`:
 * - a fault opens an alert; a further fault on the same component while it is open joins it;
 * - going offline opens one alert for the machine, and faults reported while that alert is open
 *   join it instead of opening one per peripheral;
 * - an alert resolves itself when every problem it covers has ended (the machine reported the
 *   fault cleared, or came back online), or when a crew member resolves it;
 * - a machine that operators took out of service (paused, withdrawn, reserve) or that is inside
 *   planned maintenance opens no alert; what is still wrong when it is expected back opens one then.
 * Acknowledgements, assignments, comments and escalations are applied to the alert they name,
 * even when they were recorded before the alert's own events arrived.
 */
export function foldAlerts(kioskId: string, entries: readonly HealthEntry[], context: MachineContext, untilMs: number): Alert[] {
  const alerts: Alert[] = [];
  const byMemberId = new Map<string, Alert>();
  const pending = new Map<string, HealthEntry[]>();
  const seenKeys = new Set<string>();
  let open: Alert[] = [];

  const act = (alert: Alert, entry: HealthEntry & { event: AlertActionEvent }) => {
    const wasOpen = !alert.resolved;
    applyAction(alert, entry.event, entry.tsMs);
    if (wasOpen && alert.resolved) open = open.filter((a) => a !== alert);
  };
  const register = (alert: Alert, problem: AlertProblem) => {
    const memberId = alertIdFor(kioskId, problem.key);
    byMemberId.set(memberId, alert);
    for (const entry of pending.get(memberId) ?? []) act(alert, entry as HealthEntry & { event: AlertActionEvent });
    pending.delete(memberId);
  };

  for (const { atMs, applied, condition } of walkMachine(entries, context, untilMs)) {
    const present = problemsOf(condition);
    const presentKeys = new Set(present.map((p) => p.key));
    for (const alert of open) endGoneProblems(alert, presentKeys, atMs);
    open = open.filter((a) => !a.resolved);

    for (const entry of applied) {
      if (!isAlertAction(entry)) continue;
      const alert = byMemberId.get(entry.event.alertId);
      if (alert) act(alert, entry);
      else pending.set(entry.event.alertId, [...(pending.get(entry.event.alertId) ?? []), entry]);
    }

    if (!isExpectedInService(condition)) continue;
    for (const problem of present) {
      if (seenKeys.has(problem.key)) continue;
      seenKeys.add(problem.key);
      const target =
        (problem.kind === 'fault' ? open.find((a) => a.component === problem.component) : undefined) ??
        open.find((a) => a.component === 'connection');
      if (target) {
        attach(target, problem, atMs);
        register(target, problem);
        continue;
      }
      const alert = newAlert(kioskId, problem, atMs);
      alerts.push(alert);
      open.push(alert);
      register(alert, problem);
    }
  }
  return alerts;
}
