/**
 * `npm run bench:silent-failures`: silent-failure detection and the lost-transactions estimate,
 * scored against the simulation's truth over a simulated year of the 70-machine reference fleet.
 *
 * The detector is pure, so the year does not go through MQTT: every machine's loans, returns,
 * faults and silent failures are generated directly (simulator/generate.ts, seeded), and the
 * platform's own pure parts are fed what it would have stored: the expected-activity model is
 * refitted once a simulated day from the machine's history before that instant (at most a year
 * back), and the lending check runs every `--step-minutes` while the machine is in service.
 * Eight weeks before the year are simulated as history (a new platform would have none).
 *
 *   npm run bench:silent-failures -- [--seed 17] [--machines 70] [--year 2023] [--warmup-weeks 8]
 *                                    [--step-minutes 15] [--threshold 0.001]
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createCalendar } from '../time/calendar.js';
import {
  type ActivityModel,
  type ExpectedActivity,
  fitExpectedActivity,
  HOUR_MS,
  hourObservations,
  type HourObservation,
} from '../collector/domain/expected-activity.js';
import { type Interval, mergeIntervals } from '../collector/domain/interval.js';
import { checkLending, LENDING_CHECK_DEFAULTS, nextLendingFlag } from '../collector/domain/lending-check.js';
import { type Downtime, estimateLost, sumLost } from '../collector/domain/lost-transactions.js';
import { loadReferenceFleet } from '../simulator/fleet.js';
import { createActivityState, generateActivity, type MissedTransaction, type SilentFailure } from '../simulator/generate.js';
import { loadCirculationProfile } from '../simulator/profile.js';
import { createRng, deriveSeed } from '../simulator/random.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '17' },
    machines: { type: 'string', default: '70' },
    year: { type: 'string', default: '2023' },
    'warmup-weeks': { type: 'string', default: '8' },
    'step-minutes': { type: 'string', default: '15' },
    threshold: { type: 'string', default: String(LENDING_CHECK_DEFAULTS.thresholdProbability) },
  },
});
const seed = Number(args.seed);
const machineCount = Number(args.machines);
const year = Number(args.year);
const stepMs = Number(args['step-minutes']) * 60_000;
const threshold = Number(args.threshold);

const TZ = 'Asia/Shanghai';
const calendar = createCalendar(TZ);
const yearFromMs = calendar.startOfDay(`${year}-01-01`);
const yearToMs = calendar.startOfDay(`${year + 1}-01-01`);
const simFromMs = yearFromMs - Number(args['warmup-weeks']) * WEEK_MS;

const profile = loadCirculationProfile(
  join(ROOT, 'reference', 'circulation-2023-chaoyang.csv'),
  join(ROOT, 'reference', 'fault-catalogue.csv'),
  machineCount,
  { silentFailuresPerMachinePerMonth: 0.5 },
);
const kiosks = loadReferenceFleet(join(ROOT, 'reference', 'reference-fleet.csv'), machineCount);

interface Machine {
  kioskId: string;
  txMs: number[];
  blocked: Interval[];
  available: Interval[];
  failures: SilentFailure[];
  missed: MissedTransaction[];
  hours: HourObservation[];
}

/** A year and its warm-up of one machine, generated a simulated day at a time. */
function simulate(kioskId: string): Machine {
  const rng = createRng(deriveSeed(seed, kioskId));
  let state = createActivityState('bench');
  const txMs: number[] = [];
  const faultOpen = new Map<string, number>();
  const blocked: Interval[] = [];
  const failures: SilentFailure[] = [];
  const missed: MissedTransaction[] = [];
  for (let fromMs = simFromMs; fromMs < yearToMs; fromMs += DAY_MS) {
    const generated = generateActivity(profile, kioskId, fromMs, Math.min(fromMs + DAY_MS, yearToMs), rng, state);
    state = generated.state;
    failures.push(...generated.silentFailures);
    missed.push(...generated.missed);
    for (const e of generated.events) {
      const atMs = Date.parse(e.ts);
      if (e.type === 'loan' || e.type === 'return') txMs.push(atMs);
      else if (e.type === 'fault' && e.blocksLending) faultOpen.set(e.faultId, atMs);
      else if (e.type === 'fault_cleared' && faultOpen.has(e.faultId)) {
        blocked.push({ fromMs: faultOpen.get(e.faultId)!, toMs: atMs });
        faultOpen.delete(e.faultId);
      }
    }
  }
  for (const fromMs of faultOpen.values()) blocked.push({ fromMs, toMs: yearToMs });
  const merged = mergeIntervals(blocked);
  const available: Interval[] = [];
  let cursor = simFromMs;
  for (const b of merged) {
    if (b.fromMs > cursor) available.push({ fromMs: cursor, toMs: b.fromMs });
    cursor = Math.max(cursor, b.toMs);
  }
  if (cursor < yearToMs) available.push({ fromMs: cursor, toMs: yearToMs });
  return {
    kioskId,
    txMs,
    blocked: merged,
    available,
    failures,
    missed,
    hours: hourObservations(txMs, available, simFromMs, yearToMs),
  };
}

function firstIndexAtOrAfter<T>(items: readonly T[], key: (t: T) => number, atMs: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(items[mid]!) < atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The model as the platform would have it at `atMs`: fitted on the year before. */
function modelAt(m: Machine, atMs: number): ExpectedActivity {
  const lo = firstIndexAtOrAfter(m.hours, (h) => h.startMs, atMs - 365 * DAY_MS);
  const hi = firstIndexAtOrAfter(m.hours, (h) => h.startMs + HOUR_MS, atMs + 1);
  return fitExpectedActivity(m.hours.slice(lo, hi), calendar);
}

interface Raised {
  kioskId: string;
  atMs: number;
  sinceMs: number;
  clearedMs: number;
}

/** The lending check every step of the year while the machine is in service, as the platform runs it. */
function detect(m: Machine): Raised[] {
  const raised: Raised[] = [];
  let open: Raised | null = null;
  let model: ExpectedActivity | null = null;
  let nextFitMs = yearFromMs;
  for (let nowMs = yearFromMs; nowMs < yearToMs; nowMs += stepMs) {
    if (nowMs >= nextFitMs) {
      model = modelAt(m, nowMs);
      nextFitMs = nowMs + DAY_MS;
    }
    const a = firstIndexAtOrAfter(m.available, (i) => i.toMs, nowMs + 1);
    const isAvailable = a < m.available.length && m.available[a]!.fromMs <= nowMs;
    if (!isAvailable) {
      if (open) open.clearedMs = nowMs;
      open = null;
      continue;
    }
    const from = firstIndexAtOrAfter(m.available, (i) => i.toMs, nowMs - LENDING_CHECK_DEFAULTS.maxLookbackMs);
    const check = checkLending(
      { nowMs, model: model!, eventMs: m.txMs, available: m.available.slice(from, a + 1) },
      { thresholdProbability: threshold },
    );
    const step = nextLendingFlag(open !== null, check);
    if (step === 'raise' && check.kind === 'not_lending') {
      open = { kioskId: m.kioskId, atMs: nowMs, sinceMs: check.evidence.sinceMs, clearedMs: yearToMs };
      raised.push(open);
    } else if (step === 'clear' && open) {
      open.clearedMs = nowMs;
      open = null;
    }
  }
  return raised;
}

const started = performance.now();
const machines = kiosks.map((k) => simulate(k.id));
const simulatedS = (performance.now() - started) / 1000;
const alarms = machines.map(detect);
const detectedS = (performance.now() - started) / 1000 - simulatedS;

// --- detection against the truth --------------------------------------------------------------
const meanRateOfYear = (() => {
  let sum = 0;
  let n = 0;
  for (let t = yearFromMs; t < yearToMs; t += HOUR_MS, n++) {
    const r = profile.ratesAt(t);
    sum += r.loansPerHour + r.returnsPerHour;
  }
  return sum / n;
})();
/** Busy: the simulator's own demand at that local hour is above the machine's yearly mean hour. */
const isBusyAt = (atMs: number) => {
  const r = profile.ratesAt(atMs);
  return r.loansPerHour + r.returnsPerHour >= meanRateOfYear;
};

interface Scored {
  failure: SilentFailure;
  isBusy: boolean;
  delayMs: number | null;
}
const scored: Scored[] = [];
let falseAlarms = 0;
for (let i = 0; i < machines.length; i++) {
  const m = machines[i]!;
  const raised = alarms[i]!;
  const matched = new Set<Raised>();
  for (const failure of m.failures) {
    if (failure.fromMs < yearFromMs || failure.fromMs >= yearToMs) continue;
    const hit = raised.find((r) => r.atMs >= failure.fromMs && r.atMs <= failure.toMs);
    if (hit) matched.add(hit);
    scored.push({ failure, isBusy: isBusyAt(failure.fromMs), delayMs: hit ? hit.atMs - failure.fromMs : null });
  }
  // An alarm raised while a failure is on is a true one even when another alarm already matched it.
  for (const r of raised) {
    if (matched.has(r)) continue;
    if (!m.failures.some((f) => r.atMs >= f.fromMs && r.atMs <= f.toMs)) falseAlarms++;
  }
}

const share = (items: readonly Scored[], withinMs: number) =>
  items.length === 0 ? null : items.filter((s) => s.delayMs !== null && s.delayMs <= withinMs).length / items.length;
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.floor(sorted.length / 2)]!;
};
const busy = scored.filter((s) => s.isBusy);
const quarterCount = (yearToMs - yearFromMs) / (DAY_MS * 91.3125);

// --- lost transactions over held-out weeks -----------------------------------------------------
interface WeekScore {
  week: number;
  truth: number;
  estimateTruthIntervals: number;
  estimateDetected: number;
  low: number;
  high: number;
}
const weeks: WeekScore[] = [];
for (let week = 4; week <= 52; week += 4) {
  const fromMs = yearFromMs + (week - 1) * WEEK_MS;
  const toMs = Math.min(fromMs + WEEK_MS, yearToMs);
  let truth = 0;
  const byTruth = [];
  const byDetected = [];
  for (let i = 0; i < machines.length; i++) {
    const m = machines[i]!;
    truth += m.missed.filter((x) => x.atMs >= fromMs && x.atMs < toMs).length;
    // Held out: the model knows nothing of the week it estimates.
    const model = modelAt(m, fromMs);
    if (model.kind !== 'model') continue;
    const outOfService: Downtime[] = m.blocked.map((b) => ({ ...b, cause: 'out_of_service' }));
    const silentTruth: Downtime[] = m.failures.map((f) => ({ fromMs: f.fromMs, toMs: f.toMs, cause: 'not_lending' }));
    const silentSeen: Downtime[] = alarms[i]!.map((r) => ({ fromMs: r.sinceMs, toMs: r.clearedMs, cause: 'not_lending' }));
    byTruth.push(estimateLost(model as ActivityModel, withoutOverlap(outOfService, silentTruth), fromMs, toMs));
    byDetected.push(estimateLost(model as ActivityModel, withoutOverlap(outOfService, silentSeen), fromMs, toMs));
  }
  const t = sumLost(byTruth);
  const d = sumLost(byDetected);
  weeks.push({ week, truth, estimateTruthIntervals: t.expected, estimateDetected: d.expected, low: d.low, high: d.high });
}

/** Out-of-service time first; not-lending time only where the machine was not already out of service. */
function withoutOverlap(first: readonly Downtime[], second: readonly Downtime[]): Downtime[] {
  const merged = mergeIntervals(first);
  const rest: Downtime[] = [];
  for (const s of second) {
    let cursor = s.fromMs;
    for (const b of merged) {
      if (b.toMs <= cursor || b.fromMs >= s.toMs) continue;
      if (b.fromMs > cursor) rest.push({ fromMs: cursor, toMs: b.fromMs, cause: s.cause });
      cursor = Math.max(cursor, b.toMs);
    }
    if (cursor < s.toMs) rest.push({ fromMs: cursor, toMs: s.toMs, cause: s.cause });
  }
  return [...merged.map((b) => ({ ...b, cause: 'out_of_service' as const })), ...rest];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const truthTotal = sum(weeks.map((w) => w.truth));
const estTruthTotal = sum(weeks.map((w) => w.estimateTruthIntervals));
const estDetectedTotal = sum(weeks.map((w) => w.estimateDetected));
const hoursOf = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / HOUR_MS).toFixed(1)} h`);

const lines = [
  `seed ${seed}, ${machineCount} machines, year ${year} (${TZ}), warm-up ${args['warmup-weeks']} weeks, check every ${args['step-minutes']} min, threshold ${threshold}`,
  `simulated in ${simulatedS.toFixed(1)} s, detection in ${detectedS.toFixed(1)} s`,
  `silent failures in the year: ${scored.length} (${busy.length} starting in busy hours), transactions in the year: ${sum(machines.map((m) => m.txMs.filter((t) => t >= yearFromMs).length))}`,
  `busy-hour failures alerted within 2 h: ${pct(share(busy, 2 * HOUR_MS))}; 4 h: ${pct(share(busy, 4 * HOUR_MS))}; 8 h: ${pct(share(busy, 8 * HOUR_MS))}; 24 h: ${pct(share(busy, 24 * HOUR_MS))}; ever: ${pct(share(busy, Number.POSITIVE_INFINITY))}`,
  `all failures alerted ever: ${pct(share(scored, Number.POSITIVE_INFINITY))}; median delay of those alerted: ${hoursOf(median(scored.flatMap((s) => (s.delayMs === null ? [] : [s.delayMs]))))}`,
  `false alarms: ${falseAlarms} (${(falseAlarms / machineCount / quarterCount).toFixed(2)} per machine per quarter)`,
  `lost transactions over ${weeks.length} held-out weeks: truth ${truthTotal}; estimate on the true intervals ${estTruthTotal.toFixed(0)} (${pct(estTruthTotal / truthTotal - 1)}); on out-of-service + detected intervals ${estDetectedTotal.toFixed(0)} (${pct(estDetectedTotal / truthTotal - 1)})`,
  ...weeks.map(
    (w) =>
      `  week ${String(w.week).padStart(2)}: truth ${String(w.truth).padStart(4)}, on true intervals ${w.estimateTruthIntervals.toFixed(0).padStart(4)} (${pct(w.estimateTruthIntervals / w.truth - 1).padStart(8)}), on detected ${w.estimateDetected.toFixed(0).padStart(4)} [${w.low.toFixed(0)}–${w.high.toFixed(0)}]`,
  ),
];
console.log(lines.join('\n'));
