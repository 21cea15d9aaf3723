import type { KioskRecord } from '../../registry/kiosk.js';

/** Which machines a report covers: the whole fleet, one district (from the registry) or one machine. */
export type ReportScope =
  { kind: 'fleet' } | { kind: 'district'; district: string; kioskIds: readonly string[] } | { kind: 'kiosk'; kioskId: string };

/** Stable key of a scope in the export log: `fleet`, `district:望京`, `kiosk:CY-001`. */
export function scopeKey(scope: ReportScope): string {
  if (scope.kind === 'fleet') return 'fleet';
  return scope.kind === 'district' ? `district:${scope.district}` : `kiosk:${scope.kioskId}`;
}

/** The kiosk filter to push down to the store; `undefined` for the whole fleet. */
export function scopeKioskIds(scope: ReportScope): readonly string[] | undefined {
  if (scope.kind === 'fleet') return undefined;
  return scope.kind === 'district' ? scope.kioskIds : [scope.kioskId];
}

/** The machines of a district, matched by its name or its English name, as `/api/v1/kiosks` does. */
export function districtKiosks(kiosks: readonly KioskRecord[], district: string): KioskRecord[] {
  return kiosks.filter((k) => k.district === district || k.districtEn === district);
}

/** A short ASCII-safe label of a scope for file names (`fleet`, `district-Wangjing`, `CY-001`). */
export function scopeFileLabel(scope: ReportScope): string {
  if (scope.kind === 'fleet') return 'fleet';
  if (scope.kind === 'kiosk') return scope.kioskId;
  return `district-${scope.district}`;
}
