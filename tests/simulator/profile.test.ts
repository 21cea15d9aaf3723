import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  buildActivityProfile,
  loadCirculationTable,
  loadFaultCatalogue,
  loadCirculationProfile,
} from '../../simulator/profile.js';

const REFERENCE_DIR = join(import.meta.dirname, '../../reference');
const CIRCULATION_CSV = join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv');
const FAULTS_CSV = join(REFERENCE_DIR, 'fault-catalogue.csv');
const HOUR_MS = 3_600_000;
const MACHINES = 70;

const rows = loadCirculationTable(CIRCULATION_CSV);
const profile = buildActivityProfile({ rows, machineCount: MACHINES, faultCatalogue: loadFaultCatalogue(FAULTS_CSV) });

/** Sums expected fleet loans and returns over every local hour of 2023, by local month. */
function sumExpectedByMonth(): Map<string, { loans: number; returns: number }> {
  const sums = new Map<string, { loans: number; returns: number }>();
  const startMs = Date.parse('2023-01-01T00:00:00+08:00');
  const endMs = Date.parse('2024-01-01T00:00:00+08:00');
  for (let ms = startMs; ms < endMs; ms += HOUR_MS) {
    const month = new Date(ms + 8 * HOUR_MS).toISOString().slice(0, 7);
    const sum = sums.get(month) ?? { loans: 0, returns: 0 };
    const rates = profile.ratesAt(ms);
    sum.loans += rates.loansPerHour * MACHINES;
    sum.returns += rates.returnsPerHour * MACHINES;
    sums.set(month, sum);
  }
  return sums;
}
const expectedByMonth = sumExpectedByMonth();

describe('activity profile', () => {
  test('the reference table has the twelve months of 2023 and its published totals', () => {
    expect(rows).toHaveLength(12);
    expect(rows.reduce((s, r) => s + r.loans, 0)).toBe(71_386);
    expect(rows.reduce((s, r) => s + r.returns, 0)).toBe(165_618);
  });

  test.each(rows)('hourly rates over $month add up to its loans and returns within 1 %', (row) => {
    const sum = expectedByMonth.get(row.month)!;
    expect(Math.abs(sum.loans / row.loans - 1)).toBeLessThan(0.01);
    expect(Math.abs(sum.returns / row.returns - 1)).toBeLessThan(0.01);
  });

  test('the same month-of-year volumes apply to another year', () => {
    let loans = 0;
    for (let ms = Date.parse('2026-06-01T00:00:00+08:00'); ms < Date.parse('2026-07-01T00:00:00+08:00'); ms += HOUR_MS) {
      loans += profile.ratesAt(ms).loansPerHour * MACHINES;
    }
    expect(loans).toBeCloseTo(7057, 6);
  });

  test('nights are quiet, and lunchtime and early evening are busy (local time)', () => {
    const at = (localHour: string) => profile.ratesAt(Date.parse(`2023-06-14T${localHour}:30:00+08:00`)).returnsPerHour;
    expect(at('03')).toBeLessThan(at('12') / 20);
    expect(at('18')).toBeGreaterThan(at('15'));
    expect(at('12')).toBeGreaterThan(at('10'));
  });

  test('a weekend day is busier than a weekday of the same month', () => {
    const day = (date: string) => profile.ratesAt(Date.parse(`${date}T18:00:00+08:00`)).loansPerHour;
    expect(day('2023-06-17')).toBeGreaterThan(day('2023-06-14') * 1.1); // Saturday vs Wednesday
  });

  test.each([
    ['2023-06-01T12:00:00+08:00', '2023-06-01T13:00:00+08:00'],
    ['2023-06-01T12:59:59.999+08:00', '2023-06-01T13:00:00+08:00'],
    ['2023-06-01T12:34:56+08:00', '2023-06-01T13:00:00+08:00'],
  ])('the local hour containing %s ends at %s', (at, end) => {
    expect(profile.hourEndMs(Date.parse(at))).toBe(Date.parse(end));
  });

  test('hours follow the fleet time zone, including half-hour offsets', () => {
    const kolkata = loadCirculationProfile(CIRCULATION_CSV, FAULTS_CSV, MACHINES, { timeZone: 'Asia/Kolkata' });
    expect(kolkata.hourEndMs(Date.parse('2023-06-01T12:10:00+05:30'))).toBe(Date.parse('2023-06-01T13:00:00+05:30'));
    expect(kolkata.ratesAt(Date.parse('2023-06-14T18:30:00+05:30'))).toEqual(
      profile.ratesAt(Date.parse('2023-06-14T18:30:00+08:00')),
    );
    expect(profile.inTimeZone('Asia/Kolkata').hourEndMs(Date.parse('2023-06-01T12:10:00+05:30'))).toBe(
      Date.parse('2023-06-01T13:00:00+05:30'),
    );
  });

  test('the fault model reads the catalogue: a few faults per machine per month, restored around the typical time', () => {
    const faults = profile.faults;
    expect(faults.catalogue).toHaveLength(17);
    expect(faults.faultsPerHour * 730.5).toBeCloseTo(2, 6);
    const binFull = faults.catalogue.find((k) => k.code === 'BIN_FULL')!;
    expect(binFull).toMatchObject({
      component: 'return_bin',
      severity: 'critical',
      isBlockingLending: true,
      typicalRestoreHours: 4,
    });
    expect(faults.restoreMs(binFull, 0)).toBe(2 * HOUR_MS);
    expect(faults.restoreMs(binFull, 0.5)).toBe(4 * HOUR_MS);
    expect(faults.lendingAvailabilityRatio).toBeGreaterThan(0.99);
    expect(faults.lendingAvailabilityRatio).toBeLessThan(1);
  });

  test('a table without every month is refused', () => {
    expect(() =>
      buildActivityProfile({ rows: rows.slice(1), machineCount: MACHINES, faultCatalogue: profile.faults.catalogue }),
    ).toThrow(/lacks month\(s\) 1/);
  });
});
