import type { KioskLiveState } from '../collector/domain/fleet-state.js';
import type { KioskRecord } from '../registry/kiosk.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A machine as the API and the live push show it: registry facts joined with live state. */
export function toKioskView(record: KioskRecord | undefined, live: KioskLiveState | undefined, kioskId: string) {
  return {
    id: kioskId,
    registered: record !== undefined,
    name: record?.name ?? kioskId,
    nameEn: record?.nameEn ?? null,
    district: record?.district ?? null,
    districtEn: record?.districtEn ?? null,
    address: record?.address ?? null,
    lat: record?.lat ?? null,
    lon: record?.lon ?? null,
    model: record?.model ?? null,
    installedOn: record?.installedOn ?? null,
    capacityBooks: record?.capacityBooks ?? null,
    lifecycle: record?.lifecycle ?? null,
    connection: live?.connection ?? 'unknown',
    connectionSince: iso(live?.connectionSinceMs ?? null),
    lastSeen: iso(live?.lastSeenMs ?? null),
    bootId: live?.bootId ?? null,
    firmware: live?.firmware ?? null,
    openFaults: (live?.openFaults ?? []).map((f) => ({ ...f, since: iso(f.sinceMs) })),
    today: live?.today ?? null,
    telemetry: live?.telemetry ? { ts: iso(live.telemetry.tsMs), ...live.telemetry.readings } : null,
  };
}
export type KioskView = ReturnType<typeof toKioskView>;
