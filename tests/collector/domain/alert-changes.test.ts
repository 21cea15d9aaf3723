import { describe, expect, test } from 'vitest';
import { alertChanges, alertDigest } from '../../../collector/domain/alert-changes.js';
import { type Alert, alertIdFor, foldAlerts, kioskIdOfAlertId } from '../../../collector/domain/alerts.js';
import type { HealthEntry } from '../../../collector/domain/health-entry.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');

/** The alert a machine's going offline opens, as fleet health folds it, with changes laid over it. */
function offlineAlert(over: Partial<Alert> = {}): Alert {
  const entry = (id: string, state: 'online' | 'offline', tsMs: number): HealthEntry => ({
    id,
    kioskId: 'CY-007',
    tsMs,
    receivedMs: tsMs,
    event: { type: 'status', state, bootId: 'b1' },
  });
  const entries = [entry('s1', 'online', T0 - 60_000), entry('s2', 'offline', T0)];
  const [alert] = foldAlerts('CY-007', entries, { outages: [], lifecycle: 'active' }, T0 + 1_000);
  return { ...alert!, ...over };
}
const digestsOf = (...alerts: Alert[]) => new Map(alerts.map((a) => [a.id, alertDigest(a)]));

describe('alert changes between two folds, from the digests of the first', () => {
  test('a new alert is a change and, unless already resolved, an opened notice; an unchanged one is neither', () => {
    const open = offlineAlert();
    expect(alertChanges(undefined, [open])).toEqual({ changed: [open], notices: [{ kind: 'opened', alert: open }] });
    const resolved = offlineAlert({ resolved: { atMs: T0 + 1, how: 'automatic', by: null, reason: 'back_online' } });
    expect(alertChanges(new Map(), [resolved]).notices).toEqual([]);
    expect(alertChanges(digestsOf(open), [structuredClone(open)])).toEqual({ changed: [], notices: [] });
  });

  test('resolved, acknowledged and assigned are told apart; another change (a comment) is a change without a notice', () => {
    const open = offlineAlert();
    const acked = offlineAlert({ acknowledged: { by: 'wang', atMs: T0 + 5 } });
    const assigned = offlineAlert({ acknowledged: acked.acknowledged, assignee: { name: 'li', by: 'wang', atMs: T0 + 6 } });
    const reassigned = offlineAlert({ ...assigned, assignee: { name: 'zhao', by: 'wang', atMs: T0 + 7 } });
    const resolved = offlineAlert({ ...reassigned, resolved: { atMs: T0 + 9, how: 'manual', by: 'zhao', reason: 'crew' } });
    const commented = offlineAlert({
      ...resolved,
      history: [{ atMs: T0 + 10, action: 'commented', by: 'zhao', detail: 'cable' }],
    });
    const kindOf = (before: Alert, after: Alert) => alertChanges(digestsOf(before), [after]).notices.map((n) => n.kind);
    expect(kindOf(open, acked)).toEqual(['acknowledged']);
    expect(kindOf(acked, assigned)).toEqual(['assigned']);
    expect(kindOf(assigned, reassigned)).toEqual(['assigned']);
    expect(kindOf(reassigned, resolved)).toEqual(['resolved']);
    expect(kindOf(resolved, commented)).toEqual([]);
    expect(alertChanges(digestsOf(resolved), [commented]).changed).toEqual([commented]);
  });

  test('an alert id names its machine, hyphens and all', () => {
    expect(kioskIdOfAlertId(alertIdFor('CY-007', 'f:F1'))).toBe('CY-007');
    expect(kioskIdOfAlertId('not an alert')).toBeUndefined();
    expect(kioskIdOfAlertId('AL-')).toBeUndefined();
  });
});
