import { describe, expect, test } from 'vitest';
import {
  buildCirculationTable,
  checkMonthRange,
  daysOfMonths,
  findRevisions,
  type FirstExport,
  monthsBetween,
  nextMonth,
  type PeriodCount,
} from '../../../collector/domain/circulation.js';

describe('monthly circulation table', () => {
  test.each([
    ['2023-01', '2023-02'],
    ['2023-11', '2023-12'],
    ['2023-12', '2024-01'],
    ['1999-12', '2000-01'],
  ])('the month after %s is %s', (month, next) => {
    expect(nextMonth(month)).toBe(next);
  });

  test.each([
    ['2023-01', '2023-01', ['2023-01']],
    ['2023-11', '2024-02', ['2023-11', '2023-12', '2024-01', '2024-02']],
  ])('months from %s to %s', (from, to, months) => {
    expect(monthsBetween(from, to)).toEqual(months);
  });

  test('a range of months covers its days from the 1st of the first to the 1st after the last', () => {
    expect(daysOfMonths('2023-01', '2023-12')).toEqual({ fromDay: '2023-01-01', toDay: '2024-01-01' });
    expect(daysOfMonths('2024-02', '2024-02')).toEqual({ fromDay: '2024-02-01', toDay: '2024-03-01' });
  });

  test.each<[string, string, string, 'from' | 'to' | null]>([
    ['a year', '2023-01', '2023-12', null],
    ['one month', '2023-06', '2023-06', null],
    ['twenty years', '2004-01', '2023-12', null],
    ['a month 13', '2023-13', '2023-12', 'from'],
    ['a day for a month', '2023-01', '2023-12-31', 'to'],
    ['a month without its zero', '2023-1', '2023-12', 'from'],
    ['to before from', '2023-06', '2023-05', 'to'],
    ['a month before 2000', '1999-12', '2000-03', 'from'],
    ['more than 240 months', '2000-01', '2020-01', 'to'],
  ])('%s (%s to %s) is refused naming %s', (_, from, to, field) => {
    const check = checkMonthRange(from, to);
    if (field === null) expect(check.ok).toBe(true);
    else expect(check).toMatchObject({ ok: false, field, message: expect.stringContaining(field) });
  });

  const counts: PeriodCount[] = [
    { period: '2023-01', type: 'loan', count: 4960 },
    { period: '2023-01', type: 'return', count: 9779 },
    { period: '2023-01', type: 'fault', count: 7 },
    { period: '2023-03', type: 'return', count: 3 },
    { period: '2023-05', type: 'loan', count: 99 },
  ];

  test('every month of the range has a row, zeros where nothing happened, and the total row sums them', () => {
    const table = buildCirculationTable(monthsBetween('2023-01', '2023-03'), counts, (m) => m < '2023-03');
    expect(table.rows).toEqual([
      { month: '2023-01', loans: 4960, returns: 9779, total: 14739, isComplete: true },
      { month: '2023-02', loans: 0, returns: 0, total: 0, isComplete: true },
      { month: '2023-03', loans: 0, returns: 3, total: 3, isComplete: false },
    ]);
    expect(table.total).toEqual({ loans: 4960, returns: 9782, total: 14742 });
  });

  test('renewals and refusals never enter the table, as loans or otherwise', () => {
    const table = buildCirculationTable(
      ['2023-02'],
      [
        { period: '2023-02', type: 'loan', count: 1 },
        { period: '2023-02', type: 'renewal', count: 5 },
        { period: '2023-02', type: 'transaction_refused', count: 7 },
      ],
      () => true,
    );
    expect(table.rows[0]).toMatchObject({ loans: 1, returns: 0, total: 1 });
  });

  test('day periods are summed into their month', () => {
    const table = buildCirculationTable(
      ['2023-02'],
      [
        { period: '2023-02-01', type: 'loan', count: 1 },
        { period: '2023-02-28', type: 'loan', count: 2 },
      ],
      () => true,
    );
    expect(table.rows[0]).toMatchObject({ loans: 3, total: 3 });
  });

  const row = (month: string, loans: number, returns: number, isComplete = true) => ({
    month,
    loans,
    returns,
    total: loans + returns,
    isComplete,
  });
  const first = (loans: number, returns: number, exportedMs = 1_000): FirstExport => ({
    figures: { loans, returns, total: loans + returns },
    exportedMs,
  });

  test.each([
    ['unchanged since its first export', row('2023-01', 10, 20), first(10, 20), null],
    ['never exported before', row('2023-01', 10, 20), undefined, null],
    ['still running', row('2023-01', 11, 20, false), first(10, 20), null],
    [
      'changed by a late loan',
      row('2023-01', 11, 20),
      first(10, 20, 5_000),
      {
        month: '2023-01',
        previous: { loans: 10, returns: 20, total: 30 },
        current: { loans: 11, returns: 20, total: 31 },
        difference: { loans: 1, returns: 0, total: 1 },
        firstExportedMs: 5_000,
      },
    ],
    [
      'changed by late returns',
      row('2023-01', 10, 23),
      first(10, 20),
      {
        month: '2023-01',
        previous: { loans: 10, returns: 20, total: 30 },
        current: { loans: 10, returns: 23, total: 33 },
        difference: { loans: 0, returns: 3, total: 3 },
        firstExportedMs: 1_000,
      },
    ],
  ])('a month %s gets the revision note it deserves', (_, current, firstExport, note) => {
    const firstExports = new Map(firstExport ? [[current.month, firstExport]] : []);
    expect(findRevisions([current], firstExports)).toEqual(note === null ? [] : [note]);
  });
});
