import type { MeasuredRatio, ServiceMeasures, YearWindow } from '../domain/indicators.js';
import type { FleetHealth } from './fleet-health.js';

const HOUR_MS = 3_600_000;
const hours = (ms: number) => Math.round(ms / HOUR_MS).toLocaleString('en-US');

/**
 * The yearly indicators fleet health measures: machines open 24 hours (time-weighted uptime of
 * the fleet) and faults restored within the response promise. A year with nothing to count
 * has no figure (never shown as a target met) and says why in its basis.
 */
export function fleetHealthMeasures(
  health: FleetHealth,
  now: () => number,
): Pick<ServiceMeasures, 'availability24h' | 'faultsRestoredWithin24h'> {
  return {
    async availability24h(window: YearWindow): Promise<MeasuredRatio> {
      const countedToMs = Math.max(window.fromMs, Math.min(window.toMs, now()));
      const { fleet } = health.uptime({ spec: String(window.year), fromMs: window.fromMs, toMs: window.toMs, countedToMs });
      if (fleet.uptimeRatio === null) {
        return { ratio: null, basis: 'no machine-hours expected in service', basisZh: '全年没有应在服务中的设备小时' };
      }
      return {
        ratio: fleet.uptimeRatio,
        basis: `${hours(fleet.availableMs)} of ${hours(fleet.expectedMs)} machine-hours expected in service`,
        basisZh: `应服务 ${hours(fleet.expectedMs)} 设备小时中可用 ${hours(fleet.availableMs)} 小时`,
      };
    },
    async faultsRestoredWithin24h(window: YearWindow): Promise<MeasuredRatio> {
      let within = 0;
      let decided = 0;
      for (let month = 1; month <= 12; month++) {
        const figures = health.faultResponse(`${String(window.year).padStart(4, '0')}-${String(month).padStart(2, '0')}`);
        within += figures.restoredWithinPromise;
        decided += figures.alertsOpened - figures.pending;
      }
      const promiseHours = health.policy.promiseMs / HOUR_MS;
      if (decided === 0)
        return { ratio: null, basis: 'no fault alerts decided in the year', basisZh: '全年没有已判定的故障告警' };
      return {
        ratio: within / decided,
        basis: `${within.toLocaleString('en-US')} of ${decided.toLocaleString('en-US')} alerts restored within ${promiseHours} h`,
        basisZh: `${decided.toLocaleString('en-US')} 条故障告警中 ${within.toLocaleString('en-US')} 条在 ${promiseHours} 小时内修复`,
      };
    },
  };
}
