import { describe, expect, test } from 'vitest';
import { alertIdFor, foldAlerts } from '../../../collector/domain/alerts.js';
import { createCalendar } from '../../../time/calendar.js';
import { commandLog } from '../../../collector/domain/command-log.js';
import { DEFAULT_ESCALATION_POLICY } from '../../../collector/domain/escalation.js';
import {
  componentIncidents,
  componentReliability,
  machineReliability,
  monthlyFaultResponse,
  percentile,
  sumComponentReliability,
} from '../../../collector/domain/fault-response.js';
import { serviceTimeline } from '../../../collector/domain/service-state.js';
import { ack, at, cleared, context, fault, ms, offline, online, sorted } from './health-fixtures.js';

const calendar = createCalendar('Asia/Shanghai');
const HOUR = 3_600_000;

describe('percentiles', () => {
  test.each([
    [[], 50, null],
    [[5], 90, 5],
    [[1, 3], 50, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9.1],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5.5],
  ])('of %j, the %i-th is %s', (values, p, expected) => {
    const value = percentile(values, p);
    if (expected === null) expect(value).toBeNull();
    else expect(value).toBeCloseTo(expected, 9);
  });
});

describe('monthly fault response', () => {
  test('share restored within 24 h, median and p90 time to restore, over alerts opened in the month', () => {
    const h = (hours: number) => new Date(ms('2026-11-10T00:00:00+08:00') + hours * HOUR).toISOString();
    const entries = sorted([
      at(h(0), fault('a', 'door')),
      at(h(2), cleared('a')), // 2 h
      at(h(1), fault('b', 'rfid_reader')),
      at(h(1.5), ack(alertIdFor('K1', 'f:b'))),
      at(h(11), cleared('b')), // 10 h
      at(h(3), fault('c', 'power')),
      at(h(33), cleared('c')), // 30 h: late
      at(h(4), fault('d', 'screen')), // still open past its deadline: late
      at('2026-10-31T15:00:00Z', fault('e', 'stock', 'minor')), // 23:00 on 31 Oct local: October
      at('2026-11-30T15:00:00Z', fault('f', 'climate', 'major')), // 23:00 on 30 Nov local, still in time
    ]);
    const now = ms('2026-11-30T16:30:00Z');
    const alerts = foldAlerts('K1', entries, context(), now);
    const november = monthlyFaultResponse(alerts, '2026-11', calendar, now, DEFAULT_ESCALATION_POLICY);
    expect(november).toEqual({
      month: '2026-11',
      alertsOpened: 5,
      restored: 3,
      restoredWithinPromise: 2,
      pending: 1,
      shareRestoredWithinPromise: 0.5,
      medianTimeToRestoreMs: 10 * HOUR,
      p90TimeToRestoreMs: 26 * HOUR,
      medianTimeToAcknowledgeMs: 0.5 * HOUR,
      p90TimeToAcknowledgeMs: 0.5 * HOUR,
    });
  });
});

describe('MTBF and MTTR', () => {
  const h = (hours: number) => new Date(ms('2026-11-01T00:00:00Z') + hours * HOUR).toISOString();
  const entries = sorted([
    at(h(0), online('b1')),
    at(h(10), fault('f1', 'rfid_reader')),
    at(h(12), cleared('f1')),
    at(h(30), offline('b1')),
    at(h(31), online('b2')),
    at(h(50), fault('f2', 'rfid_reader')),
    at(h(50.5), fault('f3', 'rfid_reader')),
    at(h(54), cleared('f2')),
    at(h(55), cleared('f3')),
    at(h(60), fault('f4', 'receipt_printer', 'major', false)),
  ]);
  const untilMs = ms(h(100));

  test('per machine: available time and down time divided by the number of failures', () => {
    const figures = machineReliability(serviceTimeline(entries, context(), untilMs), ms(h(0)), untilMs);
    // Down: 2 h (f1) + 1 h (offline) + 5 h (f2/f3) = 8 h over 3 failures; available 92 h.
    expect(figures).toEqual({
      failures: 3,
      availableMs: 92 * HOUR,
      downMs: 8 * HOUR,
      expectedMs: 100 * HOUR,
      mtbfMs: (92 / 3) * HOUR,
      mttrMs: (8 / 3) * HOUR,
    });
  });

  test('per component: overlapping faults are one incident; open ones count as failures but not in MTTR', () => {
    const incidents = componentIncidents(entries, context(), untilMs);
    const figures = componentReliability(incidents, 100 * HOUR, ms(h(0)), untilMs);
    expect(
      figures.map(({ component, failures, restored, mtbfMs, mttrMs }) => ({ component, failures, restored, mtbfMs, mttrMs })),
    ).toEqual([
      { component: 'rfid_reader', failures: 2, restored: 2, mtbfMs: 50 * HOUR, mttrMs: 3.5 * HOUR },
      { component: 'connection', failures: 1, restored: 1, mtbfMs: 100 * HOUR, mttrMs: 1 * HOUR },
      { component: 'receipt_printer', failures: 1, restored: 0, mtbfMs: 100 * HOUR, mttrMs: null },
    ]);
    const fleet = sumComponentReliability([figures, figures], 200 * HOUR);
    expect(fleet[0]).toMatchObject({ component: 'rfid_reader', failures: 4, mtbfMs: 50 * HOUR, mttrMs: 3.5 * HOUR });
  });
});

describe('command log', () => {
  test('a command is closed by the machine’s ack', () => {
    const log = commandLog(
      sorted([
        at('2026-11-22T01:00:00Z', { type: 'command_sent', commandId: 'c1', command: 'pause', reason: 'vandalism', by: 'op' }),
        at('2026-11-22T01:00:01Z', { type: 'command_ack', commandId: 'c1', result: 'accepted' }),
        at('2026-11-22T02:00:00Z', { type: 'command_sent', commandId: 'c2', command: 'resume', reason: 'fixed', by: 'op' }),
      ]),
    );
    expect(log.map((c) => [c.commandId, c.command, c.ack?.result ?? null])).toEqual([
      ['c2', 'resume', null],
      ['c1', 'pause', 'accepted'],
    ]);
  });
});
