import { type Calendar, type LocalMonth, nextDay } from '../../time/calendar.js';
import { CIRCULATION_TYPES, daysOfMonths } from '../../collector/domain/circulation.js';
import { type MachineUsage, rankUtilisation, servicePeriod, type UtilisationTable } from '../../collector/domain/utilisation.js';
import type { LostEstimator, LostToDowntime } from '../../collector/health/lost-to-downtime.js';
import type { EventStore } from '../../collector/store/event-store.js';
import type { KioskRecord } from '../../registry/kiosk.js';
import { type ReportScope, scopeKioskIds } from './report-scope.js';

export interface UtilisationReport {
  scope: ReportScope;
  from: LocalMonth;
  to: LocalMonth;
  timeZone: string;
  generatedMs: number;
  table: UtilisationTable;
  /** Registry facts shown beside each machine. */
  names: ReadonlyMap<string, { name: string; district: string }>;
  /** Loans + returns lost to downtime per machine and month; null when fleet health does not run. */
  lostToDowntime: LostToDowntime | null;
}

/** First and last local day the history has anything from a machine: two index seeks, no scan. */
async function heardDays(store: EventStore, calendar: Calendar, kioskId: string, beforeMs: number) {
  const [first] = await store.readEvents({ kioskId, limit: 1, order: 'asc' });
  const [last] = await store.readEvents({ kioskId, toMs: beforeMs, limit: 1, order: 'desc' });
  return {
    firstHeardDay: first === undefined ? undefined : calendar.dayOf(first.tsMs),
    lastHeardDay: last === undefined ? undefined : calendar.dayOf(last.tsMs),
  };
}

/**
 * Loans + returns per machine per day in service over whole months (days after today do not
 * count), for the registry's machines in scope and, for the whole fleet, any other machine that
 * reported in the range.
 */
export async function produceUtilisationReport(
  parts: { store: EventStore; calendar: Calendar; kiosks: readonly KioskRecord[]; estimateLost?: LostEstimator | undefined },
  scope: ReportScope,
  from: LocalMonth,
  to: LocalMonth,
  farBelowRatio: number,
  nowMs: number,
): Promise<UtilisationReport> {
  const { store, calendar } = parts;
  const months = daysOfMonths(from, to);
  const tomorrow = nextDay(calendar.dayOf(nowMs));
  const range = { fromDay: months.fromDay, toDay: months.toDay < tomorrow ? months.toDay : tomorrow };
  const kioskIds = scopeKioskIds(scope);
  const counts = await store.countByPeriod({
    granularity: 'month',
    ...months,
    types: CIRCULATION_TYPES,
    byKiosk: true,
    ...(kioskIds === undefined ? {} : { kioskIds }),
  });
  const registered = new Map(parts.kiosks.filter((k) => kioskIds === undefined || kioskIds.includes(k.id)).map((k) => [k.id, k]));
  const tallies = new Map<string, { loans: number; returns: number }>(
    [...registered.keys()].map((id) => [id, { loans: 0, returns: 0 }]),
  );
  for (const row of counts) {
    if (!row.kioskId) continue;
    const tally = tallies.get(row.kioskId) ?? { loans: 0, returns: 0 };
    if (row.type === 'loan') tally.loans += row.count;
    else tally.returns += row.count;
    tallies.set(row.kioskId, tally);
  }
  const rangeEndMs = calendar.startOfDay(range.toDay);
  const usages: MachineUsage[] = await Promise.all(
    [...tallies].map(async ([kioskId, tally]) => {
      const record = registered.get(kioskId);
      const heard = await heardDays(store, calendar, kioskId, rangeEndMs);
      const isRetired = record?.lifecycle === 'reserve' || record?.lifecycle === 'withdrawn';
      return { kioskId, ...tally, service: servicePeriod(range, { installedOn: record?.installedOn, ...heard, isRetired }) };
    }),
  );
  const table = rankUtilisation(usages, farBelowRatio);
  return {
    scope,
    from,
    to,
    timeZone: calendar.timeZone,
    generatedMs: nowMs,
    table,
    lostToDowntime:
      parts.estimateLost?.(
        table.rows.map((r) => r.kioskId),
        from,
        to,
        nowMs,
      ) ?? null,
    names: new Map([...registered.values()].map((k) => [k.id, { name: k.name, district: k.district }])),
  };
}
