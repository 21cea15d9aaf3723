import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createActivityState, generateActivity, type GeneratedActivity } from '../../simulator/generate.js';
import { buildActivityProfile, loadCirculationTable, loadFaultCatalogue } from '../../simulator/profile.js';
import { createRng } from '../../simulator/random.js';
import { openTruthFile, readTruthFile, TRUTH_FILE_NAME } from '../../simulator/truth-file.js';

const REFERENCE_DIR = join(import.meta.dirname, '../../reference');
const options = {
  rows: loadCirculationTable(join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv')),
  machineCount: 70,
  faultCatalogue: loadFaultCatalogue(join(REFERENCE_DIR, 'fault-catalogue.csv')),
};
/** Ten silent failures a month, so a quarter surely holds some. */
const failing = buildActivityProfile({ ...options, silentFailuresPerMachinePerMonth: 10 });
const FROM = Date.parse('2023-04-01T00:00:00+08:00');
const TO = Date.parse('2023-07-01T00:00:00+08:00');
const DAY_MS = 86_400_000;

function quarter(seed: number, profile = failing): GeneratedActivity[] {
  const rng = createRng(seed);
  let state = createActivityState('b1');
  const runs: GeneratedActivity[] = [];
  for (let fromMs = FROM; fromMs < TO; fromMs += DAY_MS) {
    const run = generateActivity(profile, 'CY-001', fromMs, fromMs + DAY_MS, rng, state);
    runs.push(run);
    state = run.state;
  }
  return runs;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('silent failures in the simulation', () => {
  const runs = quarter(7);
  const failures = runs.flatMap((r) => r.silentFailures);
  const events = runs.flatMap((r) => r.events);

  test('a silently failing machine reports no fault and lends nothing, for hours', () => {
    expect(failures.length).toBeGreaterThan(5);
    for (const f of failures) {
      expect(f.toMs - f.fromMs).toBeGreaterThanOrEqual(3 * 3_600_000);
      const inside = events.filter((e) => Date.parse(e.ts) >= f.fromMs && Date.parse(e.ts) < f.toMs);
      expect(inside.filter((e) => e.type === 'loan' || e.type === 'return')).toEqual([]);
    }
    expect(runs.flatMap((r) => r.missed).some((m) => m.cause === 'silent_failure')).toBe(true);
  });

  test('the same seed gives the same failures; without the setting a profile never fails silently', () => {
    expect(quarter(7).flatMap((r) => r.silentFailures)).toEqual(failures);
    const usual = buildActivityProfile(options);
    expect(usual.faults.silentFailuresPerHour).toBe(0);
    expect(quarter(7, usual).flatMap((r) => r.silentFailures)).toEqual([]);
    // Half a failure a month of ~13 h takes about 0.9 % of the time: demand is scaled up to match.
    const live = buildActivityProfile({ ...options, silentFailuresPerMachinePerMonth: 0.5 });
    expect(usual.faults.lendingAvailabilityRatio - live.faults.lendingAvailabilityRatio).toBeCloseTo(0.009, 3);
  });

  test('failures are written to the truth file in the data directory, and read back checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'truth-'));
    dirs.push(dir);
    const truth = openTruthFile(dir);
    truth.record(failures.slice(0, 2));
    truth.record([]);
    truth.record(failures.slice(2, 3));
    expect(truth.path).toBe(join(dir, TRUTH_FILE_NAME));
    expect(readTruthFile(truth.path)).toEqual(
      failures.slice(0, 3).map((f) => ({
        kind: 'silent_failure',
        kioskId: 'CY-001',
        from: new Date(f.fromMs).toISOString(),
        to: new Date(f.toMs).toISOString(),
      })),
    );
  });
});
