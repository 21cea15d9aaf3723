import type { Calendar } from '../../time/calendar.js';
import { FIRST_REPORTABLE_MONTH, LAST_REPORTABLE_MONTH } from './circulation.js';
import { overlapMs } from './interval.js';
import type { ServiceInterval, ServiceState } from './service-state.js';

/** A window of time figures are computed over: `[fromMs, toMs)`, counted only up to now. */
export interface TimeWindow {
  /** As asked: `24h`, `7d`, `30d`, `2026-11`, `2026`. */
  spec: string;
  fromMs: number;
  toMs: number;
  /** `min(toMs, now)`: time that has not happened yet counts for nothing. */
  countedToMs: number;
}

const RELATIVE_MS: Record<string, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export const WINDOW_SPEC_PATTERN = /^(24h|7d|30d|\d{4}-(0[1-9]|1[0-2])|\d{4})$/;

function nextMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}

/**
 * `24h`, `7d`, `30d` end now; `YYYY-MM` and `YYYY` are calendar months and years in the fleet's
 * time zone. Returns null for anything else.
 */
export function parseTimeWindow(spec: string, nowMs: number, calendar: Calendar): TimeWindow | null {
  if (!WINDOW_SPEC_PATTERN.test(spec)) return null;
  const isCalendarSpec = RELATIVE_MS[spec] === undefined;
  const month = spec.length === 4 ? `${spec}-01` : spec;
  if (isCalendarSpec && (month < FIRST_REPORTABLE_MONTH || month > LAST_REPORTABLE_MONTH)) return null;
  const relativeMs = RELATIVE_MS[spec];
  let fromMs: number;
  let toMs: number;
  if (relativeMs !== undefined) {
    fromMs = nowMs - relativeMs;
    toMs = nowMs;
  } else if (spec.length === 7) {
    fromMs = calendar.startOfDay(`${spec}-01`);
    toMs = calendar.startOfDay(`${nextMonth(spec)}-01`);
  } else {
    fromMs = calendar.startOfDay(`${spec}-01-01`);
    toMs = calendar.startOfDay(`${Number(spec) + 1}-01-01`);
  }
  return { spec, fromMs, toMs, countedToMs: Math.max(fromMs, Math.min(toMs, nowMs)) };
}

/** Time a machine (or the fleet) spent in each state, and what it adds up to. */
export interface UptimeFigures {
  /** Time it was expected to serve readers: in service, degraded, out of service or offline. */
  expectedMs: number;
  /** In service or degraded: readers could borrow. */
  availableMs: number;
  byStateMs: Record<ServiceState, number>;
  /** availableMs ÷ expectedMs, 0–1; null when nothing was expected. */
  uptimeRatio: number | null;
  /** Share of the expected time spent degraded (already inside uptimeRatio), 0–1. */
  degradedRatio: number | null;
}

const emptyByState = (): Record<ServiceState, number> => ({
  in_service: 0,
  degraded: 0,
  out_of_service: 0,
  offline: 0,
  paused: 0,
  maintenance: 0,
  withdrawn: 0,
  reserve: 0,
  unknown: 0,
});

function figuresOf(byStateMs: Record<ServiceState, number>): UptimeFigures {
  const availableMs = byStateMs.in_service + byStateMs.degraded;
  const expectedMs = availableMs + byStateMs.out_of_service + byStateMs.offline;
  return {
    expectedMs,
    availableMs,
    byStateMs,
    uptimeRatio: expectedMs > 0 ? availableMs / expectedMs : null,
    degradedRatio: expectedMs > 0 ? byStateMs.degraded / expectedMs : null,
  };
}

/**
 * Time-weighted availability of one machine over `[fromMs, toMs)`. Time the timeline does not
 * cover (before the machine was first recorded) counts as unknown.
 */
export function uptimeOf(timeline: readonly ServiceInterval[], fromMs: number, toMs: number): UptimeFigures {
  const byStateMs = emptyByState();
  let coveredMs = 0;
  for (const interval of timeline) {
    const ms = overlapMs(interval.fromMs, interval.toMs, fromMs, toMs);
    byStateMs[interval.state] += ms;
    coveredMs += ms;
  }
  byStateMs.unknown += Math.max(0, toMs - fromMs - coveredMs);
  return figuresOf(byStateMs);
}

/** The fleet's figure: every machine's time added up, so a machine counts by the time it was expected. */
export function sumUptime(figures: readonly UptimeFigures[]): UptimeFigures {
  const byStateMs = emptyByState();
  for (const f of figures) for (const state of Object.keys(byStateMs) as ServiceState[]) byStateMs[state] += f.byStateMs[state];
  return figuresOf(byStateMs);
}

/** The counting rules, shown next to every uptime figure (docs/uptime.md says the same). */
export const UPTIME_RULES: readonly string[] = [
  'Uptime = time in service ÷ time the machine was expected in service, weighted by time.',
  'Expected in service: in service, degraded, out of service or offline.',
  'Degraded (a fault that still lets readers borrow) counts as available, and is reported apart.',
  'Out of service (a fault that stops lending) and offline (Last Will, or silent past the timeout) count against the machine.',
  'Not counted at all: planned maintenance windows; paused, withdrawn and reserve machines; time the platform was not receiving; time before a machine was first heard from.',
  'Months and years are calendar periods in the fleet time zone; time that has not happened yet is not counted.',
  'Reader availability (beside it) = time lending now ÷ the same expected time: a machine in service but not lending (from the start of the evidence), or taking returns only, counts against it.',
];
