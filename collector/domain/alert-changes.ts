import type { Alert } from './alerts.js';
import { hash53 } from './alerts.js';

/** For notifiers: an alert opened, was acknowledged, assigned or resolved (live changes only, not the rebuild). */
export interface AlertNotice {
  kind: 'opened' | 'acknowledged' | 'assigned' | 'resolved';
  alert: Alert;
}

/**
 * What tells one version of an alert from another, in a short text: a hash of the whole alert,
 * and the parts whose change is a notice (acknowledged, resolved, assigned). Fleet health keeps
 * this instead of the alert, so that memory does not hold every resolved alert whole.
 */
export function alertDigest(alert: Alert): string {
  return `${hash53(JSON.stringify(alert))}:${alert.acknowledged ? 'a' : ''}${alert.resolved ? 'r' : ''}:${alert.assignee?.atMs ?? ''}`;
}

/**
 * A machine's alerts folded again (`after`, with their `digests` when the caller has them) against
 * the digests of the fold before: those new or changed, and a notice for each change a notifier
 * cares about. Pure.
 */
export function alertChanges(
  before: ReadonlyMap<string, string> | undefined,
  after: readonly Alert[],
  digests: ReadonlyMap<string, string> = new Map(after.map((a) => [a.id, alertDigest(a)])),
): { changed: Alert[]; notices: AlertNotice[] } {
  const changed: Alert[] = [];
  const notices: AlertNotice[] = [];
  for (const alert of after) {
    const old = before?.get(alert.id);
    if (old === digests.get(alert.id)) continue;
    changed.push(alert);
    if (old === undefined) {
      if (!alert.resolved) notices.push({ kind: 'opened', alert });
      continue;
    }
    const [, flags = '', assignedAtMs = ''] = old.split(':');
    if (!flags.includes('r') && alert.resolved) notices.push({ kind: 'resolved', alert });
    else if (!flags.includes('a') && alert.acknowledged) notices.push({ kind: 'acknowledged', alert });
    else if (alert.assignee && assignedAtMs !== String(alert.assignee.atMs)) notices.push({ kind: 'assigned', alert });
  }
  return { changed, notices };
}
