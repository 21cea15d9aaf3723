import { type Calendar, nextDay } from '../time/calendar.js';
import { CHECKLIST_ITEMS, type ChecklistItem } from '../protocol/checklist.js';
import { addIsoWeeks, type IsoWeek, isoWeekOf, mondayOf } from '../time/iso-week.js';
import type { KioskEvent } from '../protocol/events.js';
import type { KioskId } from '../protocol/topics.js';
import { createRng, deriveSeed, randomInt } from './random.js';

/**
 * The maintenance crews' weekly rounds (docs/domain.md: every machine inspected once a week): each
 * machine is visited once per ISO week, on a working day during working hours, and now and then
 * the crew misses one. The plan of a machine's week is a function of its id and the week alone,
 * so a restarted simulator plans the same visit and never inspects a machine twice in a week.
 */
export interface CrewRoundOptions {
  /** Share of machine-weeks the crew misses (0–1). */
  missRatio: number;
  /** Local working hours, [start, end). */
  workdayStartHour: number;
  workdayEndHour: number;
  /** Crew members the inspections are shared among. */
  inspectorCount: number;
  /** Share of inspections that find an issue; a tenth of those fail the machine. */
  issueRatio: number;
}

export const DEFAULT_CREW_ROUNDS: CrewRoundOptions = Object.freeze({
  missRatio: 0.05,
  workdayStartHour: 9,
  workdayEndHour: 17,
  inspectorCount: 6,
  issueRatio: 0.08,
});

type InspectionEvent = Extract<KioskEvent, { type: 'inspection' }>;
export type InspectionBody = Omit<InspectionEvent, 'id' | 'ts'>;

export interface PlannedInspection {
  atMs: number;
  body: InspectionBody;
}

const PLAN_SEED = 0x1_5bec7;
const WORKING_DAYS = 5;

/** The visit a machine gets in a week, or null when the crew misses it. */
export function planInspection(
  kioskId: KioskId,
  week: IsoWeek,
  calendar: Calendar,
  options: CrewRoundOptions = DEFAULT_CREW_ROUNDS,
): PlannedInspection | null {
  const rng = createRng(deriveSeed(PLAN_SEED, `${kioskId}/${week}`));
  if (rng() < options.missRatio) return null;
  let day = mondayOf(week);
  for (let n = randomInt(rng, 0, WORKING_DAYS); n > 0; n--) day = nextDay(day);
  const minutes = randomInt(rng, options.workdayStartHour * 60, options.workdayEndHour * 60);
  const atMs = calendar.startOfDay(day) + minutes * 60_000 + randomInt(rng, 0, 60_000);

  const checklist: Partial<Record<ChecklistItem, 'ok' | 'issue'>> = Object.fromEntries(
    CHECKLIST_ITEMS.map((item) => [item, 'ok']),
  );
  let result: InspectionBody['result'] = 'pass';
  if (rng() < options.issueRatio) {
    checklist[CHECKLIST_ITEMS[randomInt(rng, 0, CHECKLIST_ITEMS.length)]!] = 'issue';
    result = rng() < 0.1 ? 'fail' : 'issues_found';
  }
  return {
    atMs,
    body: { type: 'inspection', inspector: `crew-${randomInt(rng, 1, options.inspectorCount + 1)}`, result, checklist },
  };
}

/** The crews' visits to a machine in (fromMs, toMs], oldest first. */
export function inspectionsBetween(
  kioskId: KioskId,
  fromMs: number,
  toMs: number,
  calendar: Calendar,
  options: CrewRoundOptions = DEFAULT_CREW_ROUNDS,
): PlannedInspection[] {
  if (!(toMs > fromMs)) return [];
  const visits: PlannedInspection[] = [];
  const lastWeek = isoWeekOf(toMs, calendar);
  for (let week = isoWeekOf(fromMs, calendar); ; week = addIsoWeeks(week, 1)) {
    const visit = planInspection(kioskId, week, calendar, options);
    if (visit && visit.atMs > fromMs && visit.atMs <= toMs) visits.push(visit);
    if (week === lastWeek) break;
  }
  return visits;
}
