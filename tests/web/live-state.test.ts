import { describe, expect, test } from 'vitest';
import { type AlertView, type LiveState, mergeAlerts } from '../../web/src/live/live-store.js';
import { byUrgency } from '../../web/src/views/alerts/urgency.js';

const alert = (id: string, patch: Partial<Pick<AlertView, 'state' | 'severity'>> & { deadline?: string } = {}) =>
  ({
    id,
    kioskId: `K-${id}`,
    state: patch.state ?? 'open',
    severity: patch.severity ?? 'critical',
    response: { deadline: patch.deadline ?? '2026-11-23T00:00:00Z' },
  }) as AlertView;

const empty: LiveState = {
  connection: 'live',
  kiosks: new Map(),
  alerts: new Map(),
  promises: null,
  newCritical: null,
  noticeSeq: 0,
};

describe('merging pushed alerts into the live state', () => {
  test('the alerts of a (re)connect replace what the page held, and are not news', () => {
    const held = mergeAlerts(empty, [alert('a'), alert('b')], true);
    const after = mergeAlerts(held, [alert('c')], true);
    expect([...after.alerts.keys()]).toEqual(['c']);
    expect(after.newCritical).toBeNull();
  });

  test.each([
    ['a new open critical alert is news', alert('n'), true],
    ['a new major alert is not', alert('n', { severity: 'major' }), false],
    ['a new alert already acknowledged is not', alert('n', { state: 'acknowledged' }), false],
    ['a change to a known critical alert is not', alert('a'), false],
  ])('%s', (_name, pushed, isNews) => {
    const held = mergeAlerts(empty, [alert('a')], true);
    const next = mergeAlerts(held, [pushed], false);
    expect(next.newCritical?.alert.id === 'n').toBe(isNews);
  });

  test('each new critical alert bumps the cue, so the same page beeps again', () => {
    const first = mergeAlerts(empty, [alert('x')], false);
    const second = mergeAlerts(first, [alert('y')], false);
    expect([first.newCritical?.seq, second.newCritical?.seq]).toEqual([1, 2]);
  });

  test('a resolved alert leaves the board', () => {
    const held = mergeAlerts(empty, [alert('a'), alert('b')], true);
    const next = mergeAlerts(held, [alert('a', { state: 'resolved' })], false);
    expect([...next.alerts.keys()]).toEqual(['b']);
  });
});

test('alerts sort by urgency: unacknowledged, then severity, then the nearest deadline', () => {
  const alerts = [
    alert('ack-critical', { state: 'acknowledged' }),
    alert('minor', { severity: 'minor', deadline: '2026-11-22T01:00:00Z' }),
    alert('critical-late', { deadline: '2026-11-23T05:00:00Z' }),
    alert('critical-soon', { deadline: '2026-11-22T05:00:00Z' }),
    alert('major', { severity: 'major' }),
  ];
  expect(alerts.sort(byUrgency).map((a) => a.id)).toEqual(['critical-soon', 'critical-late', 'major', 'minor', 'ack-critical']);
});
