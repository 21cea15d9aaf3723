/** An hour of watching a machine: less says little about a day, let alone a month. */
export const MIN_MEASURED_MS = 3_600_000;

/**
 * Whether an availability figure (the fleet's, or one machine's with machines = 1) rests on enough
 * watching to be shown as a percentage: the machines measured were watched on average at least an hour, or half of the window so far when
 * it is younger (just after midnight every machine has been watched only minutes, truly). Minutes
 * after a first start a fleet is "100 %" only because nothing has happened yet.
 */
export function hasEnoughData(figures: { measuredMs: number; machines: number; windowElapsedMs: number }): boolean {
  if (figures.machines === 0 || figures.measuredMs <= 0) return false;
  const averageMs = figures.measuredMs / figures.machines;
  return averageMs >= Math.min(MIN_MEASURED_MS, figures.windowElapsedMs / 2);
}
