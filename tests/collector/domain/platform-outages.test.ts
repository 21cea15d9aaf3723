import { describe, expect, test } from 'vitest';
import { platformOutages } from '../../../collector/domain/platform-outages.js';
import { at, type Body, ms, sorted } from './health-fixtures.js';

const T = (hhmm: string) => `2026-11-22T${hhmm}:00.000Z`;
const marker = (hhmm: string, type: Body['type'], node?: string, extra: Record<string, unknown> = {}) =>
  at(T(hhmm), { type, ...(node === undefined ? {} : { node }), ...extra }, '');
const outagesOf = (markers: ReturnType<typeof marker>[], until = '12:00') =>
  platformOutages(sorted(markers), ms(T(until))).map((i) => [new Date(i.fromMs).toISOString(), new Date(i.toMs).toISOString()]);

describe('platform outages of several nodes', () => {
  test('one node stopping while another receives is no outage; both down is', () => {
    expect(
      outagesOf([
        marker('01:00', 'platform_started', 'a'),
        marker('01:00', 'platform_started', 'b'),
        marker('02:00', 'platform_stopped', 'a'),
        marker('03:00', 'platform_stopped', 'b'), // the platform is down from here…
        marker('04:00', 'platform_started', 'a'), // …to here
        marker('05:00', 'collector_link_lost', 'a'), // and again…
        marker('05:30', 'platform_started', 'b'), // …to here
      ]),
    ).toEqual([
      [T('03:00'), T('04:00')],
      [T('05:00'), T('05:30')],
    ]);
  });

  test('a node that crashed counts as receiving until it last stored something (downSince at its next start)', () => {
    expect(
      outagesOf([
        marker('01:00', 'platform_started', 'a'),
        marker('01:00', 'platform_started', 'b'),
        marker('02:00', 'platform_stopped', 'b'),
        // a crashed (no stop) and started again at 05:00, having last stored at 03:00
        marker('05:00', 'platform_started', 'a', { downSince: T('03:00') }),
      ]),
    ).toEqual([[T('03:00'), T('05:00')]]);
  });

  test('markers without a node are the one node of before: down until the first named node starts', () => {
    expect(
      outagesOf([
        marker('01:00', 'platform_started'),
        marker('02:00', 'platform_stopped'),
        marker('03:00', 'platform_started', 'a'),
        marker('04:00', 'platform_started', 'b'),
        marker('06:00', 'platform_stopped', 'a'),
      ]),
    ).toEqual([[T('02:00'), T('03:00')]]);
  });

  test('while every node is down, the outage runs to now', () => {
    expect(
      outagesOf(
        [
          marker('01:00', 'platform_started', 'a'),
          marker('01:00', 'platform_started', 'b'),
          marker('02:00', 'collector_link_lost', 'a'),
          marker('03:00', 'platform_stopped', 'b'),
        ],
        '06:00',
      ),
    ).toEqual([[T('03:00'), T('06:00')]]);
  });

  test('one node alone, named or not, keeps its outages as before', () => {
    const oneNode = (node?: string) => [
      marker('01:00', 'platform_stopped', node),
      marker('02:00', 'platform_started', node),
      marker('03:00', 'platform_started', node, { downSince: T('02:40') }),
      marker('04:00', 'collector_link_lost', node),
      marker('04:10', 'collector_link_regained', node),
    ];
    const expected = [
      [T('01:00'), T('02:00')],
      [T('02:40'), T('03:00')],
      [T('04:00'), T('04:10')],
    ];
    expect(outagesOf(oneNode())).toEqual(expected);
    expect(outagesOf(oneNode('a'))).toEqual(expected);
  });
});
