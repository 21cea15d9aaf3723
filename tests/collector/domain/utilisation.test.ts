import { describe, expect, test } from 'vitest';
import { daysBetween, median, rankUtilisation, servicePeriod, type ServiceFacts } from '../../../collector/domain/utilisation.js';

const YEAR = { fromDay: '2023-01-01', toDay: '2024-01-01' };

describe('utilisation', () => {
  test.each([
    ['2023-01-01', '2024-01-01', 365],
    ['2024-01-01', '2025-01-01', 366],
    ['2023-03-01', '2023-03-01', 0],
    ['2023-03-02', '2023-03-01', 0],
  ])('from %s to %s are %i days', (from, to, days) => {
    expect(daysBetween(from, to)).toBe(days);
  });

  test.each<[string, ServiceFacts, [string, string, number] | null]>([
    [
      'heard from before the year, installed long ago',
      { installedOn: '2012-05-01', firstHeardDay: '2021-01-03', isRetired: false },
      ['2023-01-01', '2024-01-01', 365],
    ],
    [
      'installed in March',
      { installedOn: '2023-03-01', firstHeardDay: '2023-03-01', isRetired: false },
      ['2023-03-01', '2024-01-01', 306],
    ],
    [
      'first heard from on 1 July (no install date)',
      { firstHeardDay: '2023-07-01', isRetired: false },
      ['2023-07-01', '2024-01-01', 184],
    ],
    ['never heard from', { installedOn: '2012-05-01', isRetired: false }, null],
    [
      'withdrawn, last heard from on 30 June',
      { firstHeardDay: '2020-01-01', lastHeardDay: '2023-06-30', isRetired: true },
      ['2023-01-01', '2023-07-01', 181],
    ],
    [
      'a reserve machine last heard from in 2022',
      { firstHeardDay: '2020-01-01', lastHeardDay: '2022-12-01', isRetired: true },
      null,
    ],
    ['installed after the range', { installedOn: '2024-02-01', firstHeardDay: '2024-02-01', isRetired: false }, null],
  ])('a machine %s is in service %j', (_, facts, expected) => {
    const period = servicePeriod(YEAR, facts);
    expect(period === null ? null : [period.fromDay, period.toDay, period.days]).toEqual(expected);
  });

  test.each([
    [[], null],
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('the median of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  const inService = (days: number) => ({ fromDay: '2023-01-01', toDay: '2024-01-01', days });

  test('machines are ranked by loans + returns per day in service; far below half the median is flagged', () => {
    const table = rankUtilisation([
      { kioskId: 'CY-003', loans: 100, returns: 265, service: inService(365) }, // 1.0 a day
      { kioskId: 'CY-001', loans: 1000, returns: 2650, service: inService(365) }, // 10 a day
      { kioskId: 'CY-002', loans: 300, returns: 612, service: inService(152) }, // 6 a day, installed in August
      { kioskId: 'CY-004', loans: 0, returns: 0, service: null }, // a reserve machine
      { kioskId: 'CY-005', loans: 400, returns: 1060, service: inService(365) }, // 4 a day
    ]);
    expect(table.medianPerServiceDay).toBe(5);
    expect(table.rows.map((r) => [r.rank, r.kioskId, r.perServiceDay, r.isFarBelowMedian])).toEqual([
      [1, 'CY-001', 10, false],
      [2, 'CY-002', 6, false],
      [3, 'CY-005', 4, false],
      [4, 'CY-003', 1, true],
      [null, 'CY-004', null, false],
    ]);
    expect(table.rows[3]!.ratioToMedian).toBeCloseTo(0.2);
  });

  test('the flag threshold can be raised, and equal rates share order by id', () => {
    const table = rankUtilisation(
      [
        { kioskId: 'B', loans: 1, returns: 1, service: inService(2) },
        { kioskId: 'A', loans: 2, returns: 0, service: inService(2) },
        { kioskId: 'C', loans: 4, returns: 4, service: inService(2) },
      ],
      0.9,
    );
    expect(table.rows.map((r) => [r.kioskId, r.isFarBelowMedian])).toEqual([
      ['C', false],
      ['A', false],
      ['B', false],
    ]);
    expect(
      rankUtilisation(
        [
          { kioskId: 'X', loans: 1, returns: 0, service: inService(1) },
          { kioskId: 'Y', loans: 10, returns: 0, service: inService(1) },
          { kioskId: 'Z', loans: 10, returns: 0, service: inService(1) },
        ],
        0.9,
      ).rows.at(-1),
    ).toMatchObject({ kioskId: 'X', isFarBelowMedian: true });
  });
});
