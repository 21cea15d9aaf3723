import { describe, expect, test } from 'vitest';
import type { HealthEntry } from '../../../collector/domain/health-entry.js';
import { platformOutages } from '../../../collector/domain/platform-outages.js';
import { currentServiceState, type ServiceState, serviceTimeline } from '../../../collector/domain/service-state.js';
import type { Lifecycle } from '../../../registry/kiosk.js';
import {
  at,
  cleared,
  context,
  fault,
  heard,
  lifecycle,
  maintenance,
  ms,
  offline,
  online,
  silent,
  sorted,
} from './health-fixtures.js';

type Row = [state: ServiceState, fromIso: string, toIso: string];

const UNTIL = '2026-11-22T12:00:00Z';

function timelineOf(
  entries: HealthEntry[],
  options: { outages?: [string, string][]; lifecycle?: Lifecycle; until?: string } = {},
): Row[] {
  const outages = (options.outages ?? []).map(([from, to]) => ({ fromMs: ms(from), toMs: ms(to) }));
  const intervals = serviceTimeline(sorted(entries), context(outages, options.lifecycle), ms(options.until ?? UNTIL));
  return intervals.map((i) => [i.state, new Date(i.fromMs).toISOString(), new Date(i.toMs).toISOString()]);
}

const T = (hhmm: string) => `2026-11-22T${hhmm}:00.000Z`;

describe('service state timeline of one machine', () => {
  test.each<[string, HealthEntry[], Row[]]>([
    ['a machine online and clean is in service', [at(T('01:00'), online('b1'))], [['in_service', T('01:00'), T('12:00')]]],
    [
      'when a kiosk’s will is published, it is offline from that moment',
      [at(T('01:00'), online('b1')), at(T('02:00'), offline('b1'))],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['offline', T('02:00'), T('12:00')],
      ],
    ],
    [
      'a stale Last Will from an earlier boot does not mark a reconnected machine offline',
      [at(T('01:00'), online('b1')), at(T('01:05'), online('b2')), at(T('01:06'), offline('b1'))],
      [['in_service', T('01:00'), T('12:00')]],
    ],
    [
      'a will dated before its own boot’s online (machine clock ahead) still ends that boot',
      [at(T('01:00'), online('b1')), at(T('00:59'), offline('b1'))],
      [['offline', T('01:00'), T('12:00')]],
    ],
    [
      'a blocking fault is out of service; a fault that still lets readers borrow is degraded',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), fault('f1', 'rfid_reader', 'critical', true)),
        at(T('03:00'), fault('f2', 'receipt_printer', 'major', false)),
        at(T('04:00'), cleared('f1')),
        at(T('05:00'), cleared('f2')),
      ],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['out_of_service', T('02:00'), T('04:00')],
        ['degraded', T('04:00'), T('05:00')],
        ['in_service', T('05:00'), T('12:00')],
      ],
    ],
    [
      'overlapping faults on one component keep it out of service until the last is cleared',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), fault('f1', 'door')),
        at(T('02:30'), fault('f2', 'door')),
        at(T('03:00'), cleared('f1')),
        at(T('04:00'), cleared('f2')),
      ],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['out_of_service', T('02:00'), T('04:00')],
        ['in_service', T('04:00'), T('12:00')],
      ],
    ],
    [
      'without blocksLending, a critical fault blocks and a major one degrades',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), fault('f1', 'stock', 'major')),
        at(T('03:00'), fault('f2', 'screen', 'critical')),
      ],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['degraded', T('02:00'), T('03:00')],
        ['out_of_service', T('03:00'), T('12:00')],
      ],
    ],
    [
      'a fault cleared while offline: offline until it reconnects, then in service',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), fault('f1', 'shelf_mechanism')),
        at(T('03:00'), offline('b1')),
        at(T('04:00'), cleared('f1'), 'K1', T('06:00')),
        at(T('05:00'), online('b2')),
      ],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['out_of_service', T('02:00'), T('03:00')],
        ['offline', T('03:00'), T('05:00')],
        ['in_service', T('05:00'), T('12:00')],
      ],
    ],
    [
      'a fault still open when the machine reconnects keeps it out of service',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), fault('f1', 'power')),
        at(T('03:00'), offline('b1')),
        at(T('05:00'), online('b2')),
        at(T('06:00'), cleared('f1')),
      ],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['out_of_service', T('02:00'), T('03:00')],
        ['offline', T('03:00'), T('05:00')],
        ['out_of_service', T('05:00'), T('06:00')],
        ['in_service', T('06:00'), T('12:00')],
      ],
    ],
    [
      'telemetry silent past the timeout is offline until the machine is heard again',
      [at(T('01:00'), online('b1')), at(T('02:00'), silent()), at(T('03:00'), heard())],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['offline', T('02:00'), T('03:00')],
        ['in_service', T('03:00'), T('12:00')],
      ],
    ],
    [
      'a paused machine is paused, even while offline, until resumed',
      [
        at(T('01:00'), online('b1')),
        at(T('02:00'), lifecycle('paused')),
        at(T('03:00'), offline('b1')),
        at(T('04:00'), online('b2')),
        at(T('05:00'), lifecycle('active', 'paused')),
      ],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['paused', T('02:00'), T('05:00')],
        ['in_service', T('05:00'), T('12:00')],
      ],
    ],
    [
      'a withdrawn machine is withdrawn',
      [at(T('01:00'), online('b1')), at(T('02:00'), lifecycle('withdrawn'))],
      [
        ['in_service', T('01:00'), T('02:00')],
        ['withdrawn', T('02:00'), T('12:00')],
      ],
    ],
    [
      'a planned maintenance window shows as maintenance, whatever the machine does inside it',
      [
        at(T('01:00'), online('b1')),
        at(T('00:30'), maintenance(T('02:00'), T('04:00'))),
        at(T('03:00'), offline('b1')),
        at(T('03:30'), online('b2')),
      ],
      [
        ['unknown', T('00:30'), T('01:00')],
        ['in_service', T('01:00'), T('02:00')],
        ['maintenance', T('02:00'), T('04:00')],
        ['in_service', T('04:00'), T('12:00')],
      ],
    ],
  ])('%s', (_name, entries, expected) => {
    expect(timelineOf(entries)).toEqual(expected);
  });

  test('a platform outage is unknown for the machine, whatever it was before and after', () => {
    const entries = [at(T('01:00'), online('b1')), at(T('02:00'), fault('f1', 'rfid_reader'))];
    expect(timelineOf(entries, { outages: [[T('03:00'), T('05:00')]] })).toEqual([
      ['in_service', T('01:00'), T('02:00')],
      ['out_of_service', T('02:00'), T('03:00')],
      ['unknown', T('03:00'), T('05:00')],
      ['out_of_service', T('05:00'), T('12:00')],
    ]);
  });

  test('platform outages come from its markers: a graceful stop, a crash (downSince), a lost broker link', () => {
    const markers = sorted([
      at(T('01:00'), { type: 'platform_stopped' }, ''),
      at(T('02:00'), { type: 'platform_started' }, ''),
      at(T('03:00'), { type: 'platform_started', downSince: T('02:40') }, ''),
      at(T('04:00'), { type: 'collector_link_lost' }, ''),
      at(T('04:10'), { type: 'collector_link_regained' }, ''),
      at(T('05:00'), { type: 'collector_link_lost' }, ''),
    ]);
    expect(
      platformOutages(markers, ms(T('06:00'))).map((i) => [new Date(i.fromMs).toISOString(), new Date(i.toMs).toISOString()]),
    ).toEqual([
      [T('01:00'), T('02:00')],
      [T('02:40'), T('03:00')],
      [T('04:00'), T('04:10')],
      [T('05:00'), T('06:00')],
    ]);
  });

  test('a maintenance window across a month boundary covers the end of one month and the start of the next', () => {
    const entries = [
      at('2026-10-30T00:00:00Z', online('b1')),
      at('2026-10-30T00:00:00Z', maintenance('2026-10-31T12:00:00+08:00', '2026-11-01T12:00:00+08:00')),
    ];
    expect(timelineOf(entries, { until: '2026-11-02T00:00:00Z' })).toEqual([
      ['in_service', '2026-10-30T00:00:00.000Z', '2026-10-31T04:00:00.000Z'],
      ['maintenance', '2026-10-31T04:00:00.000Z', '2026-11-01T04:00:00.000Z'],
      ['in_service', '2026-11-01T04:00:00.000Z', '2026-11-02T00:00:00.000Z'],
    ]);
  });

  test.each<[string, HealthEntry[], Lifecycle, ServiceState]>([
    ['never heard from', [], 'active', 'unknown'],
    ['a reserve machine with no history', [], 'reserve', 'reserve'],
    ['online now', [at(T('01:00'), online('b1'))], 'active', 'in_service'],
    ['registered as reserve, then activated', [at(T('01:00'), lifecycle('active', 'reserve'))], 'active', 'unknown'],
  ])('the current state of a machine %s', (_name, entries, registryLifecycle, state) => {
    expect(currentServiceState(sorted(entries), context([], registryLifecycle), ms(UNTIL)).state).toBe(state);
  });

  test('an event stamped ahead of the platform clock is already the current state', () => {
    const entries = [at(T('01:00'), online('b1')), at(T('12:01'), fault('f1', 'door'))];
    expect(currentServiceState(sorted(entries), context(), ms(UNTIL))).toEqual({
      state: 'out_of_service',
      sinceMs: ms(T('12:01')),
    });
  });
});
