import { z } from 'zod';
import { type IndicatorTargets, REFERENCE_TARGETS } from '../../collector/domain/indicators.js';

const share = z.number().min(0).max(1);

/** The library's own indicator targets, as a manager sets them; shares are 0–1 (0.95 = 95 %). */
export const indicatorTargetsSchema = z.strictObject({
  machinesOperated: z.number().int().min(0).max(100_000),
  circulationPerYear: z.number().int().min(0).max(1_000_000_000),
  weeklyInspectionRatio: share,
  availabilityRatio: share,
  faultsRestoredWithin24hRatio: share,
  reservationsDeliveredWithin72hRatio: share,
}) satisfies z.ZodType<IndicatorTargets>;

/** The targets in force and who set them; `updatedBy` null while the reference targets apply. */
export interface TargetsInForce {
  targets: IndicatorTargets;
  isReference: boolean;
  updatedBy: string | null;
  updatedMs: number | null;
}

/**
 * The library's indicator targets, kept by the platform (platform state, not event history). One
 * set per installation: the fleet is one library's. Adapters: SQLite (`reports.sqlite` in the data
 * directory, sqlite-indicator-targets.ts) and PostgreSQL (postgres-indicator-targets.ts); both pass
 * tests/contract/indicator-targets-contract.ts.
 */
export interface IndicatorTargetsStore {
  /** The targets set last, or the reference network's when none were ever set. */
  read(): Promise<TargetsInForce>;
  save(targets: IndicatorTargets, by: string, atMs: number): Promise<TargetsInForce>;
  close(): Promise<void>;
}

export const REFERENCE_IN_FORCE: Readonly<TargetsInForce> = Object.freeze({
  targets: REFERENCE_TARGETS,
  isReference: true,
  updatedBy: null,
  updatedMs: null,
});
