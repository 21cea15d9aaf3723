import type { MeasuredRatio, ServiceMeasures, YearWindow } from '../domain/indicators.js';
import { addIsoWeeks, isoWeekOfDay, mondayOf } from '../../time/iso-week.js';
import type { InspectionService } from './inspection-service.js';
import type { ReservationService } from './reservation-service.js';

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The yearly indicators the service promises measure: every machine inspected once a week, and
 * reservations delivered within the window. A year with nothing to count has no figure (never
 * shown as a target met) and says why in its basis.
 */
export function servicePromiseMeasures(
  inspections: InspectionService,
  reservations: ReservationService,
): Pick<ServiceMeasures, 'weeklyInspection' | 'reservationsDeliveredWithin72h'> {
  return {
    async weeklyInspection(window: YearWindow): Promise<MeasuredRatio> {
      // The year's weeks are those whose Thursday falls in it (ISO 8601), finished ones only. Weeks
      // before the first inspection on record are left out: the platform was not tracking yet.
      const firstOfYear = isoWeekOfDay(`${window.year}-01-04`);
      const lastOfYear = addIsoWeeks(isoWeekOfDay(`${window.year + 1}-01-04`), -1);
      const firstTracked = inspections.firstInspectedWeek();
      if (firstTracked === null || mondayOf(firstTracked) > mondayOf(lastOfYear)) {
        return { ratio: null, basis: 'no inspections on record for the year', basisZh: '全年没有巡检记录' };
      }
      const from = mondayOf(firstTracked) > mondayOf(firstOfYear) ? firstTracked : firstOfYear;
      const weeks = inspections.compliance(from, lastOfYear).weeks.filter((w) => w.isComplete);
      const expected = weeks.reduce((sum, w) => sum + w.expected, 0);
      const inspected = weeks.reduce((sum, w) => sum + w.inspected, 0);
      if (expected === 0) return { ratio: null, basis: 'no machine-weeks expected in service', basisZh: '没有应巡检的设备周' };
      return {
        ratio: inspected / expected,
        basis: `${count(inspected)} of ${count(expected)} machine-weeks inspected (finished ISO weeks from ${from})`,
        basisZh: `${count(expected)} 个设备周中已巡检 ${count(inspected)} 个（自 ${from} 起已结束的 ISO 周）`,
      };
    },
    async reservationsDeliveredWithin72h(window: YearWindow): Promise<MeasuredRatio> {
      const months = reservations.onTimeRates(`${window.year}-01`, `${window.year}-12`).byMonth;
      const onTime = months.reduce((sum, m) => sum + m.onTime, 0);
      const decided = months.reduce((sum, m) => sum + m.onTime + m.late + m.missed, 0);
      const windowHours = reservations.policy.windowMs / 3_600_000;
      if (decided === 0) return { ratio: null, basis: 'no reservations decided in the year', basisZh: '全年没有已判定的预约' };
      return {
        ratio: onTime / decided,
        basis: `${count(onTime)} of ${count(decided)} reservations delivered within ${windowHours} h`,
        basisZh: `${count(decided)} 笔预约中 ${count(onTime)} 笔在 ${windowHours} 小时内送达`,
      };
    },
  };
}
