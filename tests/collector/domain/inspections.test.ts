import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import {
  type HistoryEvent,
  indexInspections,
  type Inspection,
  isInspectionRequired,
  type KioskInService,
  monthCompliance,
  toInspection,
  weekCompliance,
  weekReport,
  weekStatusOf,
} from '../../../collector/domain/inspections.js';

const ms = (iso: string): number => Date.parse(iso);
const calendar = createCalendar('Asia/Shanghai');

function inspectionEvent(kioskId: string, iso: string, extra: Record<string, unknown> = {}): HistoryEvent {
  const id = `${kioskId}-${ms(iso)}`;
  return {
    id,
    kioskId,
    tsMs: ms(iso),
    receivedMs: ms(iso),
    data: { id, ts: iso, type: 'inspection', inspector: 'crew-1', result: 'pass', checklist: { door: 'ok' }, ...extra },
  };
}
const inspected = (...events: HistoryEvent[]): Inspection[] => events.map((e) => toInspection(e, calendar)!);

const fleet: KioskInService[] = [
  { kioskId: 'A', lifecycle: 'active' },
  { kioskId: 'B', lifecycle: 'active' },
  { kioskId: 'P', lifecycle: 'paused' },
  { kioskId: 'R', lifecycle: 'reserve' },
  { kioskId: 'W', lifecycle: 'withdrawn' },
  { kioskId: 'N', lifecycle: 'active', installedOn: '2026-11-24' },
];

// A at 23:30 on Sunday 22 November (local): week 47. B at 00:10 on Monday 23 November: week 48.
const index = indexInspections(
  inspected(
    inspectionEvent('A', '2026-11-22T23:30:00+08:00'),
    inspectionEvent('B', '2026-11-23T00:10:00+08:00'),
    inspectionEvent('R', '2026-11-18T10:00:00+08:00'),
    inspectionEvent('A', '2026-11-10T10:00:00+08:00'),
    inspectionEvent('B', '2026-11-11T10:00:00+08:00'),
    inspectionEvent('P', '2026-11-12T10:00:00+08:00'),
  ),
);
const WEDNESDAY_W48 = ms('2026-11-25T12:00:00+08:00');

describe('weekly inspection compliance', () => {
  test.each([
    ['2026-11-22T23:30:00+08:00', '2026-W47'],
    ['2026-11-23T00:10:00+08:00', '2026-W48'],
    ['2026-11-22T15:30:00Z', '2026-W47'],
    ['2026-11-22T16:10:00Z', '2026-W48'],
  ])('an inspection at %s counts for %s', (iso, week) => {
    expect(toInspection(inspectionEvent('A', iso), calendar)?.week).toBe(week);
  });

  test.each([
    ['active', undefined, true],
    ['paused', undefined, true],
    ['reserve', undefined, false],
    ['withdrawn', undefined, false],
    ['active', '2026-11-22', true], // installed on the week's Sunday
    ['active', '2026-11-23', false], // installed the Monday after
  ] as const)('a %s machine installed on %s needs an inspection in 2026-W47: %s', (lifecycle, installedOn, isRequired) => {
    expect(isInspectionRequired({ kioskId: 'X', lifecycle, installedOn }, '2026-W47')).toBe(isRequired);
  });

  test('a finished week: done, overdue, and reserve and withdrawn machines not required', () => {
    const report = weekReport(index, fleet, '2026-W47', WEDNESDAY_W48, calendar);
    expect(report.isComplete).toBe(true);
    expect(report.done.map((d) => d.kioskId)).toEqual(['A']);
    expect(report.due).toEqual([]);
    expect(report.overdue).toEqual(['B', 'P']);
    expect(report.notRequired.map((n) => n.kioskId)).toEqual(['N', 'R', 'W']);
    expect(report.notRequired.find((n) => n.kioskId === 'R')?.inspections).toHaveLength(1);
    expect(report.expected).toBe(3);
    expect(report.complianceRatio).toBeCloseTo(1 / 3);
    expect(report.startsAtMs).toBe(ms('2026-11-16T00:00:00+08:00'));
    expect(report.endsAtMs).toBe(ms('2026-11-23T00:00:00+08:00'));
  });

  test('the running week: due until done, overdue at once for a machine that missed last week', () => {
    const report = weekReport(index, fleet, '2026-W48', WEDNESDAY_W48, calendar);
    expect(report.isComplete).toBe(false);
    expect(report.done.map((d) => d.kioskId)).toEqual(['B']);
    expect(report.due).toEqual(['A', 'N']);
    expect(report.overdue).toEqual(['P']);
    expect(report.complianceRatio).toBeCloseTo(1 / 4);
  });

  test.each([
    ['A', '2026-W47', 'done'],
    ['B', '2026-W47', 'overdue'],
    ['B', '2026-W48', 'done'],
    ['A', '2026-W48', 'due'],
    ['P', '2026-W48', 'overdue'],
    ['P', '2026-W49', 'due'], // a week not yet begun is never overdue
    ['R', '2026-W47', 'not_required'],
  ])('%s in %s is %s', (kioskId, week, status) => {
    expect(
      weekStatusOf(
        index,
        fleet.find((k) => k.kioskId === kioskId)!,
        week,
        WEDNESDAY_W48,
        calendar,
      ),
    ).toBe(status);
  });

  test('two inspections in one week are one inspected machine-week', () => {
    const twice = indexInspections(
      inspected(inspectionEvent('A', '2026-11-16T09:00:00+08:00'), inspectionEvent('A', '2026-11-20T09:00:00+08:00')),
    );
    expect(weekCompliance(twice, [{ kioskId: 'A', lifecycle: 'active' }], '2026-W47', WEDNESDAY_W48, calendar)).toMatchObject({
      expected: 1,
      inspected: 1,
      complianceRatio: 1,
      month: '2026-11',
    });
  });

  test('a month counts its finished weeks, those whose Thursday is in it', () => {
    const november = monthCompliance(index, fleet, '2026-11', WEDNESDAY_W48, calendar);
    expect(november.weeks).toEqual(['2026-W45', '2026-W46', '2026-W47', '2026-W48']);
    expect(november.weeksCounted).toBe(3);
    expect(november.isComplete).toBe(false);
    // W45: none of A, B, P inspected (N not installed); W46: A, B and P; W47: A.
    expect(november).toMatchObject({ expected: 9, inspected: 4 });
    expect(november.complianceRatio).toBeCloseTo(4 / 9);
    const later = monthCompliance(index, fleet, '2026-11', ms('2026-12-10T00:00:00+08:00'), calendar);
    expect(later).toMatchObject({ weeksCounted: 4, isComplete: true, expected: 13, inspected: 5 });
  });

  test('an inspection entered through the API keeps who entered it; a machine’s has none', () => {
    const [fromApi, fromMachine] = inspected(
      inspectionEvent('A', '2026-11-20T10:00:00+08:00', { by: 'admin' }),
      inspectionEvent('A', '2026-11-21T10:00:00+08:00'),
    );
    expect(fromApi?.recordedBy).toBe('admin');
    expect(fromMachine?.recordedBy).toBeNull();
    expect(toInspection({ ...inspectionEvent('A', '2026-11-20T10:00:00+08:00'), data: { type: 'loan' } }, calendar)).toBeNull();
  });
});
