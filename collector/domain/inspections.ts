import { z } from 'zod';
import { checklistSchema } from '../../protocol/checklist.js';
import { inspectionEventSchema } from '../../protocol/events.js';
import type { Lifecycle } from '../../registry/kiosk.js';
import type { Calendar, LocalDay, LocalMonth } from '../../time/calendar.js';
import {
  addIsoWeeks,
  endOfIsoWeek,
  type IsoWeek,
  isoWeekOf,
  isoWeeksOfMonth,
  mondayOf,
  monthOfIsoWeek,
  startOfIsoWeek,
} from '../../time/iso-week.js';

/**
 * The weekly inspection promise (docs/domain.md: every machine inspected once a week): a
 * machine expected in service during an ISO week of the fleet's calendar needs one inspection in
 * that week. Everything here is a pure function of the inspection events, the machines and `now`.
 */

export type KioskId = string;

/**
 * An inspection recorded through the API on a machine's behalf: the machine's event with a known
 * checklist and `by`, the account that entered it. A machine's own inspection carries no `by`.
 */
export const recordedInspectionEventSchema = inspectionEventSchema.extend({
  checklist: checklistSchema.optional(),
  by: z.string().min(1).max(64),
});
export type RecordedInspectionEvent = z.infer<typeof recordedInspectionEventSchema>;

const storedInspectionSchema = inspectionEventSchema.extend({ by: z.string().optional() });

/** An event as the history keeps it (structurally the store's EventRecord). */
export interface HistoryEvent {
  id: string;
  kioskId: string;
  tsMs: number;
  receivedMs: number;
  data: Record<string, unknown>;
}

export interface Inspection {
  id: string;
  kioskId: KioskId;
  inspectedAtMs: number;
  week: IsoWeek;
  inspector: string;
  result: 'pass' | 'issues_found' | 'fail';
  checklist: Record<string, string>;
  notes: string | null;
  /** Who entered it through the API; null when the machine reported it from its maintenance mode. */
  recordedBy: string | null;
}

/** The inspection an event records, or null for any other event. */
export function toInspection(event: HistoryEvent, calendar: Calendar): Inspection | null {
  const parsed = storedInspectionSchema.safeParse(event.data);
  if (!parsed.success) return null;
  const data = parsed.data;
  return {
    id: event.id,
    kioskId: event.kioskId,
    inspectedAtMs: event.tsMs,
    week: isoWeekOf(event.tsMs, calendar),
    inspector: data.inspector,
    result: data.result,
    checklist: { ...data.checklist },
    notes: data.notes ?? null,
    recordedBy: data.by ?? null,
  };
}

/** A machine as far as the promise cares. */
export interface KioskInService {
  kioskId: KioskId;
  lifecycle: Lifecycle;
  installedOn?: LocalDay | undefined;
}

/**
 * Reserve machines are spare-part stores and depots and withdrawn ones have left their site:
 * neither is inspected. A paused machine is still on its site, so it is. A machine installed
 * after a week is not expected in it.
 */
export function isInspectionRequired(kiosk: KioskInService, week: IsoWeek): boolean {
  if (kiosk.lifecycle === 'reserve' || kiosk.lifecycle === 'withdrawn') return false;
  return kiosk.installedOn === undefined || kiosk.installedOn < mondayOf(addIsoWeeks(week, 1));
}

/** Inspections by week, then machine, oldest first. */
export type InspectionIndex = ReadonlyMap<IsoWeek, ReadonlyMap<KioskId, readonly Inspection[]>>;

export function indexInspections(inspections: Iterable<Inspection>): InspectionIndex {
  const index = new Map<IsoWeek, Map<KioskId, Inspection[]>>();
  for (const inspection of inspections) {
    let week = index.get(inspection.week);
    if (!week) index.set(inspection.week, (week = new Map()));
    const list = week.get(inspection.kioskId) ?? [];
    list.push(inspection);
    week.set(inspection.kioskId, list);
  }
  for (const week of index.values())
    for (const list of week.values()) list.sort((a, b) => a.inspectedAtMs - b.inspectedAtMs || (a.id < b.id ? -1 : 1));
  return index;
}

export const inspectionsIn = (index: InspectionIndex, week: IsoWeek, kioskId: KioskId): readonly Inspection[] =>
  index.get(week)?.get(kioskId) ?? [];

/**
 * - `done`: inspected in the week.
 * - `overdue`: not inspected and the promise is already broken: the week is over, or the machine
 *   also went without its inspection the week before.
 * - `due`: not inspected yet, the week still running.
 * - `not_required`: reserve or withdrawn (inspections of it are still listed).
 */
export type WeekStatus = 'done' | 'due' | 'overdue' | 'not_required';

export function weekStatusOf(
  index: InspectionIndex,
  kiosk: KioskInService,
  week: IsoWeek,
  nowMs: number,
  calendar: Calendar,
): WeekStatus {
  if (!isInspectionRequired(kiosk, week)) return 'not_required';
  if (inspectionsIn(index, week, kiosk.kioskId).length > 0) return 'done';
  if (nowMs >= endOfIsoWeek(week, calendar)) return 'overdue';
  const previous = addIsoWeeks(week, -1);
  const hasMissedPrevious = isInspectionRequired(kiosk, previous) && inspectionsIn(index, previous, kiosk.kioskId).length === 0;
  return hasMissedPrevious && nowMs >= startOfIsoWeek(week, calendar) ? 'overdue' : 'due';
}

export interface WeekReport {
  week: IsoWeek;
  startsAtMs: number;
  endsAtMs: number;
  /** The week is over: its figures are final. */
  isComplete: boolean;
  /** Machines that needed an inspection in the week. */
  expected: number;
  done: { kioskId: KioskId; inspections: readonly Inspection[] }[];
  due: KioskId[];
  overdue: KioskId[];
  notRequired: { kioskId: KioskId; lifecycle: Lifecycle; inspections: readonly Inspection[] }[];
  /** done / expected, 0–1; null when no machine was expected. */
  complianceRatio: number | null;
}

/** Done, due and overdue machines of one week, as seen at `nowMs`. */
export function weekReport(
  index: InspectionIndex,
  kiosks: readonly KioskInService[],
  week: IsoWeek,
  nowMs: number,
  calendar: Calendar,
): WeekReport {
  const report: WeekReport = {
    week,
    startsAtMs: startOfIsoWeek(week, calendar),
    endsAtMs: endOfIsoWeek(week, calendar),
    isComplete: false,
    expected: 0,
    done: [],
    due: [],
    overdue: [],
    notRequired: [],
    complianceRatio: null,
  };
  report.isComplete = nowMs >= report.endsAtMs;
  for (const kiosk of [...kiosks].sort((a, b) => (a.kioskId < b.kioskId ? -1 : 1))) {
    const inspections = inspectionsIn(index, week, kiosk.kioskId);
    const status = weekStatusOf(index, kiosk, week, nowMs, calendar);
    if (status === 'not_required') {
      report.notRequired.push({ kioskId: kiosk.kioskId, lifecycle: kiosk.lifecycle, inspections });
      continue;
    }
    report.expected += 1;
    if (status === 'done') report.done.push({ kioskId: kiosk.kioskId, inspections });
    else report[status].push(kiosk.kioskId);
  }
  report.complianceRatio = report.expected === 0 ? null : report.done.length / report.expected;
  return report;
}

export interface WeekCompliance {
  week: IsoWeek;
  /** The month the week counts for (that of its Thursday). */
  month: LocalMonth;
  expected: number;
  inspected: number;
  complianceRatio: number | null;
  isComplete: boolean;
}

export function weekCompliance(
  index: InspectionIndex,
  kiosks: readonly KioskInService[],
  week: IsoWeek,
  nowMs: number,
  calendar: Calendar,
): WeekCompliance {
  let expected = 0;
  let inspected = 0;
  for (const kiosk of kiosks) {
    if (!isInspectionRequired(kiosk, week)) continue;
    expected += 1;
    if (inspectionsIn(index, week, kiosk.kioskId).length > 0) inspected += 1;
  }
  return {
    week,
    month: monthOfIsoWeek(week),
    expected,
    inspected,
    complianceRatio: expected === 0 ? null : inspected / expected,
    isComplete: nowMs >= endOfIsoWeek(week, calendar),
  };
}

export interface MonthCompliance {
  month: LocalMonth;
  /** The weeks that count for the month (those whose Thursday falls in it). */
  weeks: IsoWeek[];
  /** Weeks already over: only they are counted. */
  weeksCounted: number;
  /** Machine-weeks that needed an inspection, and those that had one. */
  expected: number;
  inspected: number;
  complianceRatio: number | null;
  isComplete: boolean;
}

/** Compliance of a month over its finished weeks: inspected machine-weeks / expected machine-weeks. */
export function monthCompliance(
  index: InspectionIndex,
  kiosks: readonly KioskInService[],
  month: LocalMonth,
  nowMs: number,
  calendar: Calendar,
): MonthCompliance {
  const weeks = isoWeeksOfMonth(month);
  const counted = weeks.map((week) => weekCompliance(index, kiosks, week, nowMs, calendar)).filter((w) => w.isComplete);
  const expected = counted.reduce((sum, w) => sum + w.expected, 0);
  const inspected = counted.reduce((sum, w) => sum + w.inspected, 0);
  return {
    month,
    weeks,
    weeksCounted: counted.length,
    expected,
    inspected,
    complianceRatio: expected === 0 ? null : inspected / expected,
    isComplete: counted.length === weeks.length,
  };
}
