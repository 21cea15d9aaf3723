import type { KioskLiveState } from '../collector/domain/fleet-state.js';
import type { ServiceState } from '../collector/domain/service-state.js';
import type { KioskRecord } from '../registry/kiosk.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The service state from the live picture alone, for a server without fleet health. */
function serviceStateFromLive(record: KioskRecord | undefined, live: KioskLiveState | undefined): ServiceState {
  if (record && record.lifecycle !== 'active') return record.lifecycle;
  if (!live || live.connection === 'unknown') return 'unknown';
  if (live.connection === 'offline') return 'offline';
  if (live.openFaults.some((f) => f.blocksLending)) return 'out_of_service';
  return live.openFaults.length > 0 ? 'degraded' : 'in_service';
}

/**
 * A machine as the API and the live push show it: registry facts joined with live state, and its
 * service state (in service, degraded, out of service, offline, paused, …) from fleet health.
 */
export function toKioskView(
  record: KioskRecord | undefined,
  live: KioskLiveState | undefined,
  kioskId: string,
  service?: { state: ServiceState; sinceMs: number | null },
) {
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
    serviceState: service?.state ?? serviceStateFromLive(record, live),
    serviceStateSince: iso(service?.sinceMs ?? null),
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
