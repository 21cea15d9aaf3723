import { join } from 'node:path';
import { REFERENCE_DIR } from '../../platform/index.js';
import { type ActivityProfile, buildActivityProfile, loadCirculationTable, loadFaultCatalogue } from '../../simulator/profile.js';

/** The reference circulation as if one machine did `busyness` × the whole network's lending. */
export function busyProfile(busyness: number): ActivityProfile {
  return buildActivityProfile({
    machineCount: 1,
    rows: loadCirculationTable(join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv')).map((r) => ({
      ...r,
      loans: Math.round(r.loans * busyness),
      returns: Math.round(r.returns * busyness),
    })),
    faultCatalogue: loadFaultCatalogue(join(REFERENCE_DIR, 'fault-catalogue.csv')),
    // As busy at night as by day, so the backlog does not depend on the hour the test runs.
    hourWeights: Array.from({ length: 24 }, () => 1),
  });
}
