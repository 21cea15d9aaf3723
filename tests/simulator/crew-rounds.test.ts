import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../time/calendar.js';
import { addIsoWeeks, isoWeekOf, isoWeeksBetween } from '../../time/iso-week.js';
import { kioskEventSchema } from '../../protocol/events.js';
import { DEFAULT_CREW_ROUNDS, inspectionsBetween, planInspection } from '../../simulator/crew-rounds.js';

const calendar = createCalendar('Asia/Shanghai');
const KIOSKS = Array.from({ length: 70 }, (_, i) => `CY-${String(i + 1).padStart(3, '0')}`);
const WEEKS = isoWeeksBetween('2026-W01', '2026-W52');

describe('weekly crew rounds', () => {
  test('a machine is visited at most once a week, on a working day in working hours', () => {
    for (const kioskId of KIOSKS.slice(0, 10)) {
      for (const week of WEEKS) {
        const visit = planInspection(kioskId, week, calendar);
        if (!visit) continue;
        expect(isoWeekOf(visit.atMs, calendar)).toBe(week);
        const local = new Date(visit.atMs + 8 * 3_600_000);
        expect(local.getUTCDay()).toBeGreaterThanOrEqual(1);
        expect(local.getUTCDay()).toBeLessThanOrEqual(5);
        expect(local.getUTCHours()).toBeGreaterThanOrEqual(DEFAULT_CREW_ROUNDS.workdayStartHour);
        expect(local.getUTCHours()).toBeLessThan(DEFAULT_CREW_ROUNDS.workdayEndHour);
        expect(kioskEventSchema.safeParse({ id: 'x', ts: new Date(visit.atMs).toISOString(), ...visit.body }).success).toBe(true);
      }
    }
  });

  test('about one machine-week in twenty is missed, and most inspections pass', () => {
    const visits = KIOSKS.flatMap((kioskId) => WEEKS.map((week) => planInspection(kioskId, week, calendar)));
    const missedRatio = visits.filter((v) => v === null).length / visits.length;
    expect(missedRatio).toBeGreaterThan(0.03);
    expect(missedRatio).toBeLessThan(0.07);
    const passRatio = visits.filter((v) => v?.body.result === 'pass').length / visits.filter((v) => v !== null).length;
    expect(passRatio).toBeGreaterThan(0.85);
  });

  test('the plan depends on the machine and the week only: intervals split anywhere give the same visits', () => {
    const fromMs = Date.parse('2026-03-01T00:00:00+08:00');
    const toMs = Date.parse('2026-05-01T00:00:00+08:00');
    const whole = inspectionsBetween('CY-001', fromMs, toMs, calendar);
    const pieces = [];
    for (let startMs = fromMs; startMs < toMs; startMs += 7_777_777) {
      pieces.push(...inspectionsBetween('CY-001', startMs, Math.min(startMs + 7_777_777, toMs), calendar));
    }
    expect(pieces).toEqual(whole);
    expect(whole.length).toBeGreaterThanOrEqual(7);
    expect(planInspection('CY-001', addIsoWeeks('2026-W10', 0), calendar)).toEqual(
      planInspection('CY-001', '2026-W10', calendar),
    );
  });
});
