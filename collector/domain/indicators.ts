import type { LocalDay } from '../../time/calendar.js';

/**
 * The reference library's yearly indicator table (docs/domain.md), target against actual. The platform
 * measures machines operated and circulation from the event history itself; the service figures
 * (inspections, availability, fault restoration, reservations) come from measures passed in, and
 * stay `null` — "not measured yet" — until one is given. Pure, apart from calling those measures.
 */

export type IndicatorKey =
  | 'machinesOperated'
  | 'circulation'
  | 'weeklyInspection'
  | 'availability24h'
  | 'faultsRestoredWithin24h'
  | 'reservationsDeliveredWithin72h';

/** The indicators measured by other parts of the platform and plugged in through {@link ServiceMeasures}. */
export type ServiceIndicatorKey = Exclude<IndicatorKey, 'machinesOperated' | 'circulation'>;
export const SERVICE_INDICATOR_KEYS: readonly ServiceIndicatorKey[] = [
  'weeklyInspection',
  'availability24h',
  'faultsRestoredWithin24h',
  'reservationsDeliveredWithin72h',
];

/** A share (0–1) and what it was measured over, e.g. "3,588 of 3,640 machine-weeks". */
export interface MeasuredRatio {
  /** 0–1; null when the window held nothing to count (no figure, never a target met). */
  ratio: number | null;
  basis: string;
  /** The same in Chinese, for the managers' tables (说明). */
  basisZh: string;
}

/** The local calendar year an indicator table covers: [fromDay, toDay) and the same as instants. */
export interface YearWindow {
  year: number;
  fromDay: LocalDay;
  toDay: LocalDay;
  fromMs: number;
  toMs: number;
}

export type ServiceMeasure = (window: YearWindow) => Promise<MeasuredRatio>;
/** One measure per service indicator that can be measured; a missing one is reported as not measured yet. */
export type ServiceMeasures = Partial<Record<ServiceIndicatorKey, ServiceMeasure>>;
export type ServiceFigures = Record<ServiceIndicatorKey, MeasuredRatio | null>;

export interface IndicatorTargets {
  machinesOperated: number;
  circulationPerYear: number;
  weeklyInspectionRatio: number;
  availabilityRatio: number;
  faultsRestoredWithin24hRatio: number;
  reservationsDeliveredWithin72hRatio: number;
}

/**
 * The reference network's 2023 performance targets: 70 machines operated and maintained; more than
 * 150,000 loans + returns; every machine inspected once a week; all machines open 24 hours a day;
 * faults acted on around the clock (taken as: restored within 24 h); reservations delivered within 72 h.
 */
export const REFERENCE_TARGETS: Readonly<IndicatorTargets> = Object.freeze({
  machinesOperated: 70,
  circulationPerYear: 150_000,
  weeklyInspectionRatio: 1,
  availabilityRatio: 1,
  faultsRestoredWithin24hRatio: 1,
  reservationsDeliveredWithin72hRatio: 1,
});

export const NOT_MEASURED_YET = 'not measured yet';
export const NOT_MEASURED_YET_ZH = '尚未测量';

export interface IndicatorRow {
  key: IndicatorKey;
  unit: 'machines' | 'loans+returns' | 'ratio';
  /** `atLeast`: actual ≥ target; `moreThan`: actual > target ("more than 150,000"). */
  comparison: 'atLeast' | 'moreThan';
  target: number;
  /** `null` when the platform does not measure it (yet). */
  actual: number | null;
  isMet: boolean | null;
  /** How the actual was measured, or why it is missing. */
  note: string;
  /** The same in Chinese. */
  noteZh: string;
}

export interface YearFigures {
  /** Machines that reported at least one event during the year. */
  machinesOperated: number;
  loans: number;
  returns: number;
  service: ServiceFigures;
}

/** The local calendar year `year` in a zone, given the instant each local day starts. */
export function yearWindow(year: number, startOfDay: (day: LocalDay) => number): YearWindow {
  const fromDay = `${String(year).padStart(4, '0')}-01-01`;
  const toDay = `${String(year + 1).padStart(4, '0')}-01-01`;
  return { year, fromDay, toDay, fromMs: startOfDay(fromDay), toMs: startOfDay(toDay) };
}

/** Runs the measures that exist; the others are `null`. A measure that fails rejects the whole call. */
export async function collectServiceFigures(measures: ServiceMeasures, window: YearWindow): Promise<ServiceFigures> {
  const entries = await Promise.all(
    SERVICE_INDICATOR_KEYS.map(async (key) => [key, (await measures[key]?.(window)) ?? null] as const),
  );
  return Object.fromEntries(entries) as ServiceFigures;
}

function isMet(actual: number | null, comparison: IndicatorRow['comparison'], target: number): boolean | null {
  if (actual === null) return null;
  return comparison === 'moreThan' ? actual > target : actual >= target;
}

function serviceRow(key: ServiceIndicatorKey, target: number, figure: MeasuredRatio | null): IndicatorRow {
  return {
    key,
    unit: 'ratio',
    comparison: 'atLeast',
    target,
    actual: figure?.ratio ?? null,
    isMet: isMet(figure?.ratio ?? null, 'atLeast', target),
    note: figure?.basis ?? NOT_MEASURED_YET,
    noteZh: figure?.basisZh ?? NOT_MEASURED_YET_ZH,
  };
}

/** The six rows of the indicator table, in the order of the reference report. */
export function buildIndicatorTable(figures: YearFigures, targets: IndicatorTargets = REFERENCE_TARGETS): IndicatorRow[] {
  const circulation = figures.loans + figures.returns;
  return [
    {
      key: 'machinesOperated',
      unit: 'machines',
      comparison: 'atLeast',
      target: targets.machinesOperated,
      actual: figures.machinesOperated,
      isMet: isMet(figures.machinesOperated, 'atLeast', targets.machinesOperated),
      note: 'machines that sent at least one event themselves during the year (platform and hand-entered events not counted)',
      noteZh: '全年至少自行上报过一条事件的设备（平台记录和人工录入的事件不计）',
    },
    {
      key: 'circulation',
      unit: 'loans+returns',
      comparison: 'moreThan',
      target: targets.circulationPerYear,
      actual: circulation,
      isMet: isMet(circulation, 'moreThan', targets.circulationPerYear),
      note: `loans ${figures.loans} + returns ${figures.returns}, by when they happened`,
      noteZh: `借书 ${figures.loans} + 还书 ${figures.returns}，按借还发生时间统计`,
    },
    serviceRow('weeklyInspection', targets.weeklyInspectionRatio, figures.service.weeklyInspection),
    serviceRow('availability24h', targets.availabilityRatio, figures.service.availability24h),
    serviceRow('faultsRestoredWithin24h', targets.faultsRestoredWithin24hRatio, figures.service.faultsRestoredWithin24h),
    serviceRow(
      'reservationsDeliveredWithin72h',
      targets.reservationsDeliveredWithin72hRatio,
      figures.service.reservationsDeliveredWithin72h,
    ),
  ];
}
