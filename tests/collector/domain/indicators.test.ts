import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import {
  buildIndicatorTable,
  collectServiceFigures,
  NOT_MEASURED_YET,
  REFERENCE_TARGETS,
  type ServiceFigures,
  yearWindow,
} from '../../../collector/domain/indicators.js';

const NONE: ServiceFigures = {
  weeklyInspection: null,
  availability24h: null,
  faultsRestoredWithin24h: null,
  reservationsDeliveredWithin72h: null,
};

describe('yearly indicators', () => {
  test('the reference year: 70 machines and 237,004 loans + returns meet both targets; service figures are not measured yet', () => {
    const rows = buildIndicatorTable({ machinesOperated: 70, loans: 71_386, returns: 165_618, service: NONE });
    expect(rows.map((r) => [r.key, r.target, r.actual, r.isMet])).toEqual([
      ['machinesOperated', 70, 70, true],
      ['circulation', 150_000, 237_004, true],
      ['weeklyInspection', 1, null, null],
      ['availability24h', 1, null, null],
      ['faultsRestoredWithin24h', 1, null, null],
      ['reservationsDeliveredWithin72h', 1, null, null],
    ]);
    expect(rows.slice(2).every((r) => r.note === NOT_MEASURED_YET)).toBe(true);
  });

  test.each([
    ['exactly the target', 150_000, false],
    ['one more than the target', 150_001, true],
    ['far below', 90_000, false],
  ])('circulation of %s (%i) meets "more than 150,000": %s', (_, total, isMet) => {
    const [, circulation] = buildIndicatorTable({ machinesOperated: 70, loans: 0, returns: total, service: NONE });
    expect(circulation!.isMet).toBe(isMet);
  });

  test('69 machines operated miss the target of 70; a custom target is honoured', () => {
    expect(buildIndicatorTable({ machinesOperated: 69, loans: 0, returns: 0, service: NONE })[0]!.isMet).toBe(false);
    const rows = buildIndicatorTable(
      { machinesOperated: 69, loans: 0, returns: 0, service: NONE },
      { ...REFERENCE_TARGETS, machinesOperated: 60 },
    );
    expect(rows[0]).toMatchObject({ target: 60, isMet: true });
  });

  test('a service measure plugged in is reported with its basis; the others stay not measured yet', async () => {
    const window = yearWindow(2023, (day) => createCalendar('Asia/Shanghai').startOfDay(day));
    expect(window).toEqual({
      year: 2023,
      fromDay: '2023-01-01',
      toDay: '2024-01-01',
      fromMs: Date.parse('2023-01-01T00:00:00+08:00'),
      toMs: Date.parse('2024-01-01T00:00:00+08:00'),
    });
    const seen: number[] = [];
    const service = await collectServiceFigures(
      {
        weeklyInspection: async (w) => (
          seen.push(w.year),
          { ratio: 3588 / 3640, basis: '3,588 of 3,640 machine-weeks', basisZh: '3,640 个设备周中已巡检 3,588 个' }
        ),
      },
      window,
    );
    expect(seen).toEqual([2023]);
    const rows = buildIndicatorTable({ machinesOperated: 70, loans: 1, returns: 1, service });
    expect(rows.find((r) => r.key === 'weeklyInspection')).toMatchObject({
      actual: 3588 / 3640,
      isMet: false,
      note: '3,588 of 3,640 machine-weeks',
    });
    expect(rows.find((r) => r.key === 'availability24h')).toMatchObject({ actual: null, isMet: null, note: NOT_MEASURED_YET });
  });
});
