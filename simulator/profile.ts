import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { componentSchema, severitySchema } from '../protocol/events.js';
import { createCalendar, type Calendar } from '../time/calendar.js';

/**
 * Calibration of the simulated fleet: how many loans and returns a machine should see in any local
 * hour, and how often it faults, from the reference network's real monthly figures (docs/domain.md).
 */

const HOUR_MS = 3_600_000;
const HOURS_PER_MONTH = (365.25 * 24) / 12;

export const circulationRowSchema = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month must be YYYY-MM'),
  loans: z.coerce.number().int().min(0),
  returns: z.coerce.number().int().min(0),
});
export type CirculationRow = z.infer<typeof circulationRowSchema>;

export const faultKindSchema = z
  .object({
    component: componentSchema,
    code: z.string().min(1).max(64),
    description: z.string().max(500),
    severity: severitySchema,
    blocks_lending: z.enum(['yes', 'no']),
    typical_restore_hours: z.coerce.number().positive(),
  })
  .transform((row) => ({
    component: row.component,
    code: row.code,
    description: row.description,
    severity: row.severity,
    isBlockingLending: row.blocks_lending === 'yes',
    typicalRestoreHours: row.typical_restore_hours,
  }));
export type FaultKind = z.infer<typeof faultKindSchema>;

function readCsv(csvPath: string): Record<string, string>[] {
  return parse(readFileSync(csvPath, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
}

/** Monthly circulation rows (`month,loans,returns,total`); throws a ZodError on a bad row. */
export function loadCirculationTable(csvPath: string): CirculationRow[] {
  return readCsv(csvPath).map((row) => circulationRowSchema.parse(row));
}

/** Fault kinds (`component,code,description,severity,blocks_lending,typical_restore_hours`). */
export function loadFaultCatalogue(csvPath: string): FaultKind[] {
  return readCsv(csvPath).map((row) => faultKindSchema.parse(row));
}

/**
 * Share of a day's activity in each local hour: quiet at night, a lunchtime peak and the busiest
 * hours 17–20 h when people pass on their way home. Normalised to sum 1.
 */
export const DEFAULT_HOUR_WEIGHTS: readonly number[] = [
  0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.6, 1.6, 2.8, 3.2, 3.8, 4.6, 6.0, 5.6, 4.4, 4.2, 4.8, 6.2, 7.0, 7.0, 6.2, 4.4, 2.4, 1.0,
];
/** Relative activity by local weekday, Sunday first: weekends somewhat busier. */
export const DEFAULT_WEEKDAY_WEIGHTS: readonly number[] = [1.2, 0.93, 0.93, 0.93, 0.93, 0.98, 1.2];

/** Expected counts for one machine in one local hour. */
export interface LendingRates {
  loansPerHour: number;
  returnsPerHour: number;
}

export interface FaultModel {
  readonly catalogue: readonly FaultKind[];
  /** Expected new faults per machine per hour. */
  readonly faultsPerHour: number;
  /** Expected share of time a machine is not blocked by a fault (0–1). */
  readonly lendingAvailabilityRatio: number;
  /** The fault kind for a uniform draw in [0, 1). */
  pickKind(uniform: number): FaultKind;
  /** How long a fault lasts for a uniform draw: 0.5–1.5 × its typical restore time. */
  restoreMs(kind: FaultKind, uniform: number): number;
  /**
   * Expected silent failures per machine per hour: the machine keeps its heartbeat and reports no
   * fault while lending nothing (a jammed transport that does not notice, a frozen screen).
   */
  readonly silentFailuresPerHour: number;
  /** How long a silent failure lasts for a uniform draw: log-uniform between 3 and 36 hours. */
  silentFailureMs(uniform: number): number;
}

export interface ActivityProfile {
  readonly timeZone: string;
  /** Machines the monthly volumes are shared among. */
  readonly machineCount: number;
  readonly faults: FaultModel;
  /** Expected loans and returns per machine in the local hour containing an instant. */
  ratesAt(epochMs: number): LendingRates;
  /** The instant the local hour containing `epochMs` ends (exclusive), epoch ms. */
  hourEndMs(epochMs: number): number;
  /** The same calibration with local hours in another time zone. */
  inTimeZone(timeZone: string): ActivityProfile;
}

export interface ProfileOptions {
  rows: readonly CirculationRow[];
  machineCount: number;
  faultCatalogue: readonly FaultKind[];
  /** Default Asia/Shanghai. */
  timeZone?: string;
  /** Default 2: "a few faults per machine per month". */
  faultsPerMachinePerMonth?: number;
  /**
   * Default 0: off, so a replayed past year stays the reference network's history. The live
   * simulator sets it (SIM_SILENT_FAILURES, 0.5: a machine fails silently about every other month).
   */
  silentFailuresPerMachinePerMonth?: number;
  hourWeights?: readonly number[];
  weekdayWeights?: readonly number[];
}

function normalise(weights: readonly number[], length: number, name: string): number[] {
  if (weights.length !== length || weights.some((w) => !(w >= 0))) {
    throw new RangeError(`${name} must be ${length} non-negative numbers`);
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new RangeError(`${name} must not all be zero`);
  return weights.map((w) => w / sum);
}

/** Volumes by month of year (0–11); a month present in several years is averaged. */
function volumesByMonthOfYear(rows: readonly CirculationRow[]): { loans: number; returns: number }[] {
  const sums = Array.from({ length: 12 }, () => ({ loans: 0, returns: 0, years: 0 }));
  for (const row of rows) {
    const slot = sums[Number(row.month.slice(5, 7)) - 1]!;
    slot.loans += row.loans;
    slot.returns += row.returns;
    slot.years++;
  }
  const missing = sums.flatMap((s, i) => (s.years === 0 ? [i + 1] : []));
  if (missing.length > 0) throw new RangeError(`circulation table lacks month(s) ${missing.join(', ')}`);
  return sums.map((s) => ({ loans: s.loans / s.years, returns: s.returns / s.years }));
}

const SILENT_MIN_HOURS = 3;
const SILENT_MAX_HOURS = 36;
/** Mean of the log-uniform duration: (max − min) ÷ ln(max ÷ min). */
const SILENT_MEAN_HOURS = (SILENT_MAX_HOURS - SILENT_MIN_HOURS) / Math.log(SILENT_MAX_HOURS / SILENT_MIN_HOURS);

export function createFaultModel(
  catalogue: readonly FaultKind[],
  faultsPerMachinePerMonth: number,
  silentFailuresPerMachinePerMonth = 0,
): FaultModel {
  if (catalogue.length === 0) throw new RangeError('the fault catalogue is empty');
  if (!(silentFailuresPerMachinePerMonth >= 0)) throw new RangeError('silentFailuresPerMachinePerMonth must be ≥ 0');
  const faultsPerHour = faultsPerMachinePerMonth / HOURS_PER_MONTH;
  const silentFailuresPerHour = silentFailuresPerMachinePerMonth / HOURS_PER_MONTH;
  const meanBlockedHours =
    catalogue.reduce((sum, k) => sum + (k.isBlockingLending ? k.typicalRestoreHours : 0), 0) / catalogue.length;
  return Object.freeze({
    catalogue,
    faultsPerHour,
    silentFailuresPerHour,
    silentFailureMs: (uniform: number) =>
      Math.round(SILENT_MIN_HOURS * (SILENT_MAX_HOURS / SILENT_MIN_HOURS) ** uniform * HOUR_MS),
    lendingAvailabilityRatio: Math.max(0.5, 1 - faultsPerHour * meanBlockedHours - silentFailuresPerHour * SILENT_MEAN_HOURS),
    pickKind: (uniform: number) => catalogue[Math.min(catalogue.length - 1, Math.floor(uniform * catalogue.length))]!,
    restoreMs: (kind: FaultKind, uniform: number) =>
      Math.max(60_000, Math.round(kind.typicalRestoreHours * (0.5 + uniform) * HOUR_MS)),
  });
}

/**
 * Per machine and local hour: monthly volume × the day's share of its month × the hour's share of
 * its day ÷ machines. The day's share is its weekday weight over the sum of weekday weights of
 * that calendar month, so every month's total equals the table exactly (a month with five
 * weekends would otherwise gain up to +1.1 %, e.g. April 2023).
 */
export function buildActivityProfile(options: ProfileOptions): ActivityProfile {
  if (!(Number.isInteger(options.machineCount) && options.machineCount > 0)) {
    throw new RangeError('machineCount must be a positive integer');
  }
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  const calendar = createCalendar(timeZone);
  const volumes = volumesByMonthOfYear(options.rows);
  const hourShares = normalise(options.hourWeights ?? DEFAULT_HOUR_WEIGHTS, 24, 'hourWeights');
  const weekdayWeights = normalise(options.weekdayWeights ?? DEFAULT_WEEKDAY_WEIGHTS, 7, 'weekdayWeights');
  const monthWeightSums = new Map<number, number>();

  function monthWeightSum(year: number, monthIndex: number): number {
    const key = year * 12 + monthIndex;
    let sum = monthWeightSums.get(key);
    if (sum === undefined) {
      const days = new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
      sum = 0;
      for (let day = 1; day <= days; day++) sum += weekdayWeights[new Date(Date.UTC(year, monthIndex, day)).getUTCDay()]!;
      monthWeightSums.set(key, sum);
    }
    return sum;
  }

  function ratesAt(epochMs: number): LendingRates {
    const local = new Date(epochMs + calendar.offsetMinutesAt(epochMs) * 60_000);
    const month = local.getUTCMonth();
    const volume = volumes[month]!;
    const dayShare = weekdayWeights[local.getUTCDay()]! / monthWeightSum(local.getUTCFullYear(), month);
    const share = (dayShare * hourShares[local.getUTCHours()]!) / options.machineCount;
    return { loansPerHour: volume.loans * share, returnsPerHour: volume.returns * share };
  }

  return Object.freeze({
    timeZone,
    machineCount: options.machineCount,
    faults: createFaultModel(
      options.faultCatalogue,
      options.faultsPerMachinePerMonth ?? 2,
      options.silentFailuresPerMachinePerMonth ?? 0,
    ),
    ratesAt,
    hourEndMs: (epochMs: number) => localHourEndMs(calendar, epochMs),
    inTimeZone: (otherTimeZone: string) => buildActivityProfile({ ...options, timeZone: otherTimeZone }),
  });
}

function localHourEndMs(calendar: Calendar, epochMs: number): number {
  const offsetMs = calendar.offsetMinutesAt(epochMs) * 60_000;
  return (Math.floor((epochMs + offsetMs) / HOUR_MS) + 1) * HOUR_MS - offsetMs;
}

/**
 * A profile from a monthly circulation table and a fault catalogue, shared among `machineCount`
 * machines (e.g. reference/circulation-2023-chaoyang.csv and reference/fault-catalogue.csv).
 */
export function loadCirculationProfile(
  circulationCsvPath: string,
  faultCatalogueCsvPath: string,
  machineCount: number,
  options: Omit<ProfileOptions, 'rows' | 'faultCatalogue' | 'machineCount'> = {},
): ActivityProfile {
  return buildActivityProfile({
    ...options,
    machineCount,
    rows: loadCirculationTable(circulationCsvPath),
    faultCatalogue: loadFaultCatalogue(faultCatalogueCsvPath),
  });
}
