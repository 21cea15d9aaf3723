import { describe, expect, test } from 'vitest';
import { coverageOf, markCoverage } from '../../../collector/domain/circulation-coverage.js';
import { buildCirculationTable, monthsBetween } from '../../../collector/domain/circulation.js';

describe('the coverage of a month of the circulation table', () => {
  test.each([
    ['2026-08', '2026-11-15', '2026-12', 'before_history'],
    ['2026-11', '2026-11-15', '2026-12', 'measured'],
    ['2026-12', '2026-11-15', '2026-12', 'running'],
    ['2027-01', '2026-11-15', '2026-12', 'future'],
    // Nothing recorded at all: no month is a measurement, a month to come is still the future.
    ['2026-12', null, '2026-12', 'before_history'],
    ['2027-01', null, '2026-12', 'future'],
    // The first start happened this month: it is running, not before the history.
    ['2026-12', '2026-12-05', '2026-12', 'running'],
  ] as const)('%s with history from %s, now in %s: %s', (month, historyBegins, current, coverage) => {
    expect(coverageOf(month, historyBegins, current)).toBe(coverage);
  });

  test('the total stands for the months with data only', () => {
    const counts = [
      { period: '2026-11', type: 'loan', count: 2 },
      { period: '2026-12', type: 'return', count: 1 },
    ];
    const table = markCoverage(
      buildCirculationTable(monthsBetween('2026-09', '2027-01'), counts, (m) => m < '2026-12'),
      '2026-11-15',
      '2026-12',
    );
    expect(table.rows.map((r) => r.coverage)).toEqual(['before_history', 'before_history', 'measured', 'running', 'future']);
    expect(table).toMatchObject({ historyBegins: '2026-11-15', monthsWithData: 2, total: { loans: 2, returns: 1, total: 3 } });
  });
});
