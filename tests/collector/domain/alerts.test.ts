import { describe, expect, test } from 'vitest';
import { type Alert, alertIdFor, alertStateOf, foldAlerts } from '../../../collector/domain/alerts.js';
import { DEFAULT_ESCALATION_POLICY, dueEscalation, responseOf } from '../../../collector/domain/escalation.js';
import type { HealthEntry } from '../../../collector/domain/health-entry.js';
import {
  ack,
  at,
  cleared,
  context,
  fault,
  lifecycle,
  maintenance,
  ms,
  offline,
  online,
  resolve,
  silent,
  sorted,
  heard,
} from './health-fixtures.js';

const T = (hhmm: string) => `2026-11-22T${hhmm}:00.000Z`;
const UNTIL = ms(T('23:00'));

const fold = (entries: HealthEntry[], until = UNTIL) => foldAlerts('K1', sorted(entries), context(), until);

/** An alert in a line: component, state, opened at, resolved at and how, problem keys. */
const summary = (a: Alert) => ({
  component: a.component,
  state: alertStateOf(a),
  opened: new Date(a.openedAtMs).toISOString(),
  resolved: a.resolved ? `${new Date(a.resolved.atMs).toISOString()} ${a.resolved.reason}` : null,
  problems: a.problems.map((p) => p.key),
});

describe('alerts folded from a machine’s history', () => {
  test.each<[string, HealthEntry[], ReturnType<typeof summary>[]]>([
    [
      'a blocking fault opens an alert; the machine reporting it cleared resolves it',
      [at(T('01:00'), online('b1')), at(T('02:00'), fault('f1', 'rfid_reader')), at(T('03:00'), cleared('f1'))],
      [
        {
          component: 'rfid_reader',
          state: 'resolved',
          opened: T('02:00'),
          resolved: `${T('03:00')} fault_cleared`,
          problems: ['f:f1'],
        },
      ],
    ],
    [
      'repeats on the same component fold into the open alert; another component opens its own',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), fault('f1', 'door')),
        at(T('02:10'), fault('f2', 'door')),
        at(T('02:20'), fault('f3', 'receipt_printer', 'major', false)),
        at(T('03:00'), cleared('f1')),
      ],
      [
        { component: 'door', state: 'open', opened: T('02:00'), resolved: null, problems: ['f:f1', 'f:f2'] },
        { component: 'receipt_printer', state: 'open', opened: T('02:20'), resolved: null, problems: ['f:f3'] },
      ],
    ],
    [
      'overlapping faults: the alert resolves only when the last of them is cleared',
      [
        at(T('02:00'), fault('f1', 'door')),
        at(T('02:10'), fault('f2', 'door')),
        at(T('03:00'), cleared('f1')),
        at(T('04:00'), cleared('f2')),
      ],
      [
        {
          component: 'door',
          state: 'resolved',
          opened: T('02:00'),
          resolved: `${T('04:00')} fault_cleared`,
          problems: ['f:f1', 'f:f2'],
        },
      ],
    ],
    [
      'going offline is one alert, and faults reported meanwhile join it instead of one per peripheral',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), offline('b1')),
        at(T('02:01'), fault('f1', 'network')),
        at(T('02:02'), fault('f2', 'power')),
        at(T('04:00'), cleared('f1')),
        at(T('04:00'), cleared('f2')),
        at(T('05:00'), online('b2')),
      ],
      [
        {
          component: 'connection',
          state: 'resolved',
          opened: T('02:00'),
          resolved: `${T('05:00')} back_online`,
          problems: [`o:${ms(T('02:00'))}`, 'f:f1', 'f:f2'],
        },
      ],
    ],
    [
      'a fault cleared while offline resolves its alert at the time the machine says, the offline alert when it is back',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), fault('f1', 'rfid_reader')),
        at(T('03:00'), offline('b1')),
        at(T('04:00'), cleared('f1'), 'K1', T('05:01')),
        at(T('05:00'), online('b2')),
      ],
      [
        {
          component: 'rfid_reader',
          state: 'resolved',
          opened: T('02:00'),
          resolved: `${T('04:00')} fault_cleared`,
          problems: ['f:f1'],
        },
        {
          component: 'connection',
          state: 'resolved',
          opened: T('03:00'),
          resolved: `${T('05:00')} back_online`,
          problems: [`o:${ms(T('03:00'))}`],
        },
      ],
    ],
    [
      'a stale will after a reconnect opens no alert',
      [at(T('01:00'), online('b1')), at(T('01:05'), online('b2')), at(T('01:06'), offline('b1'))],
      [],
    ],
    [
      'silence then the will is one offline spell, one alert',
      [at(T('01:00'), online('b1')), at(T('02:00'), silent()), at(T('02:30'), offline('b1')), at(T('03:00'), online('b2'))],
      [
        {
          component: 'connection',
          state: 'resolved',
          opened: T('02:00'),
          resolved: `${T('03:00')} back_online`,
          problems: [`o:${ms(T('02:00'))}`],
        },
      ],
    ],
    [
      'silence ended by hearing the machine again resolves the alert',
      [at(T('01:00'), online('b1')), at(T('02:00'), silent()), at(T('02:30'), heard())],
      [
        {
          component: 'connection',
          state: 'resolved',
          opened: T('02:00'),
          resolved: `${T('02:30')} back_online`,
          problems: [`o:${ms(T('02:00'))}`],
        },
      ],
    ],
    [
      'a paused machine going offline opens no alert',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), lifecycle('paused')),
        at(T('03:00'), offline('b1')),
        at(T('04:00'), online('b2')),
        at(T('05:00'), lifecycle('active', 'paused')),
      ],
      [],
    ],
    [
      'what is still wrong when planned maintenance ends opens an alert then',
      [at(T('01:00'), online('b1')), at(T('00:30'), maintenance(T('02:00'), T('04:00'))), at(T('03:00'), offline('b1'))],
      [{ component: 'connection', state: 'open', opened: T('04:00'), resolved: null, problems: [`o:${ms(T('03:00'))}`] }],
    ],
  ])('%s', (_name, entries, expected) => {
    expect(fold(entries).map(summary)).toEqual(expected);
  });

  test('acknowledging, then resolving by hand, are kept with who and when; the problem does not reopen', () => {
    const id = alertIdFor('K1', 'f:f1');
    const [alert, ...rest] = fold([
      at(T('02:00'), fault('f1', 'door')),
      at(T('02:30'), ack(id, 'li.wei')),
      at(T('03:00'), resolve(id, 'li.wei')),
    ]);
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      id,
      acknowledged: { by: 'li.wei', atMs: ms(T('02:30')) },
      resolved: { how: 'manual', by: 'li.wei', reason: 'crew', atMs: ms(T('03:00')) },
    });
    expect(alert!.history.map((h) => h.action)).toEqual(['opened', 'acknowledged', 'resolved']);
  });

  test('an acknowledgement recorded before the alert’s fault arrived (machine clock ahead) still applies', () => {
    const id = alertIdFor('K1', 'f:f1');
    const [alert] = fold([at(T('02:05'), fault('f1', 'door')), at(T('02:00'), ack(id))]);
    expect(alertStateOf(alert!)).toBe('acknowledged');
  });

  test('an action naming a problem that joined an alert finds that alert', () => {
    const [alert] = fold([
      at(T('02:00'), fault('f1', 'door')),
      at(T('02:10'), fault('f2', 'door')),
      at(T('02:20'), ack(alertIdFor('K1', 'f:f2'))),
    ]);
    expect(alert).toMatchObject({ id: alertIdFor('K1', 'f:f1'), acknowledged: { by: 'crew' } });
  });
});

describe('escalation against the 24-hour promise', () => {
  const openedAt = ms(T('00:00'));
  const alertAt = (entries: HealthEntry[] = []) =>
    fold([at(T('00:00'), fault('f1', 'rfid_reader')), ...entries], ms('2026-11-24T00:00:00Z'))[0]!;
  const hours = (h: number) => openedAt + h * 3_600_000;

  test.each([
    [11.9, null, []],
    [12, { step: 1, percent: 50 }, []],
    [19.2, { step: 2, percent: 80 }, [50]],
    [24, { step: 3, percent: 100 }, [50, 80]],
    [40, { step: 3, percent: 100 }, [50, 80]],
  ])(
    'an unobserved, unacknowledged alert %s h after it opened sends %o once, the lower steps %o skipped',
    (h, expected, skipped) => {
      const due = dueEscalation(alertAt(), hours(h), DEFAULT_ESCALATION_POLICY);
      expect(due === null ? null : { step: due.step, percent: due.percent }).toEqual(expected);
      expect(due?.skipped.map((s) => s.percent) ?? []).toEqual(skipped);
    },
  );

  test('steps passed unobserved after a recorded one are skipped from there on, each with its own due time', () => {
    const id = alertIdFor('K1', 'f:f1');
    const alert = alertAt([at(T('12:00'), { type: 'alert_escalated', alertId: id, step: 1, percent: 50, dueAt: T('12:00') })]);
    expect(dueEscalation(alert, hours(30), DEFAULT_ESCALATION_POLICY)).toMatchObject({
      step: 3,
      dueAtMs: hours(24),
      skipped: [{ step: 2, percent: 80, dueAtMs: hours(19.2) }],
    });
  });

  test('a skipped step is recorded: it is not due again, and the alert history shows it as skipped', () => {
    const id = alertIdFor('K1', 'f:f1');
    const alert = alertAt([
      at(T('20:00'), { type: 'alert_escalated', alertId: id, step: 1, percent: 50, dueAt: T('12:00'), skipped: true }),
      at(T('20:00'), { type: 'alert_escalated', alertId: id, step: 2, percent: 80, dueAt: '2026-11-22T19:12:00Z' }),
    ]);
    expect(dueEscalation(alert, hours(21), DEFAULT_ESCALATION_POLICY)).toBeNull();
    expect(alert.escalations.map((e) => [e.step, e.isSkipped])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(alert.history.filter((h) => h.action.startsWith('escalat')).map((h) => h.action)).toEqual([
      'escalation_skipped',
      'escalated',
    ]);
  });

  test('a recorded step is not due again; the next one is', () => {
    const id = alertIdFor('K1', 'f:f1');
    const alert = alertAt([at(T('12:00'), { type: 'alert_escalated', alertId: id, step: 1, percent: 50, dueAt: T('12:00') })]);
    expect(dueEscalation(alert, hours(13), DEFAULT_ESCALATION_POLICY)).toBeNull();
    expect(dueEscalation(alert, hours(20), DEFAULT_ESCALATION_POLICY)).toMatchObject({ step: 2, dueAtMs: hours(19.2) });
  });

  test('an acknowledged alert stops escalating', () => {
    const alert = alertAt([at(T('13:00'), ack(alertIdFor('K1', 'f:f1')))]);
    expect(dueEscalation(alert, hours(30), DEFAULT_ESCALATION_POLICY)).toBeNull();
  });

  test('steps and window are configurable', () => {
    const policy = { promiseMs: 4 * 3_600_000, stepsPercent: [25, 100] };
    expect(dueEscalation(alertAt(), hours(1), policy)).toMatchObject({ step: 1, percent: 25 });
  });

  test('time to acknowledge and to restore, and whether it was within the promise', () => {
    const id = alertIdFor('K1', 'f:f1');
    const alert = alertAt([at(T('01:30'), ack(id)), at('2026-11-23T02:00:00Z', cleared('f1'))]);
    expect(responseOf(alert, hours(40), DEFAULT_ESCALATION_POLICY)).toEqual({
      deadlineAtMs: hours(24),
      timeToAcknowledgeMs: 1.5 * 3_600_000,
      timeToRestoreMs: 26 * 3_600_000,
      isRestoredWithinPromise: false,
    });
    expect(responseOf(alertAt(), hours(5), DEFAULT_ESCALATION_POLICY).isRestoredWithinPromise).toBeNull();
  });
});
