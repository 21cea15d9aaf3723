import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kioskEventSchema, type KioskEvent } from '../../protocol/events.js';
import { createActivityState, generateActivity, type ActivityState } from '../../simulator/generate.js';
import { buildActivityProfile, loadCirculationTable, loadFaultCatalogue } from '../../simulator/profile.js';
import { createRng, deriveSeed, samplePoisson } from '../../simulator/random.js';

const REFERENCE_DIR = join(import.meta.dirname, '../../reference');
const rows = loadCirculationTable(join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'));
const MACHINES = 70;
const profile = buildActivityProfile({
  rows,
  machineCount: MACHINES,
  faultCatalogue: loadFaultCatalogue(join(REFERENCE_DIR, 'fault-catalogue.csv')),
});
const SEED = 20230601;
/** Generation runs in uneven steps, as a machine's ticks would, so state is carried between calls. */
const STEP_MS = 77 * 60_000 + 13_000;

interface MachineRun {
  kioskId: string;
  events: KioskEvent[];
  state: ActivityState;
}

function runMachine(kioskId: string, fromMs: number, toMs: number): MachineRun {
  const rng = createRng(deriveSeed(SEED, kioskId));
  let state = createActivityState('boot1');
  const events: KioskEvent[] = [];
  for (let startMs = fromMs; startMs < toMs; startMs += STEP_MS) {
    const generated = generateActivity(profile, kioskId, startMs, Math.min(startMs + STEP_MS, toMs), rng, state);
    events.push(...generated.events);
    state = generated.state;
  }
  return { kioskId, events, state };
}

function localMonthBounds(month: string): [number, number] {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const next = monthNumber === 12 ? `${year + 1}-01` : `${year}-${String(monthNumber + 1).padStart(2, '0')}`;
  return [Date.parse(`${month}-01T00:00:00+08:00`), Date.parse(`${next}-01T00:00:00+08:00`)];
}

const runsByMonth = new Map<string, MachineRun[]>();
function fleetMonth(month: string): MachineRun[] {
  let runs = runsByMonth.get(month);
  if (runs === undefined) {
    const [fromMs, toMs] = localMonthBounds(month);
    runs = Array.from({ length: MACHINES }, (_, i) => runMachine(`CY-${String(i + 1).padStart(3, '0')}`, fromMs, toMs));
    runsByMonth.set(month, runs);
  }
  return runs;
}

const countOf = (runs: MachineRun[], type: string) =>
  runs.reduce((sum, run) => sum + run.events.filter((e) => e.type === type).length, 0);

describe('activity generation', () => {
  test.each(rows)('a seeded simulated $month of 70 machines is within 3 % of its loans and returns', (row) => {
    const runs = fleetMonth(row.month);
    expect(Math.abs(countOf(runs, 'loan') / row.loans - 1)).toBeLessThan(0.03);
    expect(Math.abs(countOf(runs, 'return') / row.returns - 1)).toBeLessThan(0.03);
  });

  test('every generated event is valid on the wire, ids are unique and timestamps carry the fleet offset', () => {
    const events = fleetMonth('2023-06').flatMap((run) => run.events);
    const ids = new Set<string>();
    for (const event of events) {
      expect(kioskEventSchema.safeParse(event).success).toBe(true);
      expect(event.ts).toMatch(/^2023-(06-\d\dT|07-01T00:00:00\.000).*\+08:00$/);
      ids.add(event.id);
    }
    expect(ids.size).toBe(events.length);
    expect(events.some((e) => e.type === 'fault')).toBe(true);
  });

  test('timestamps are inside the interval and ordered, ids follow {kioskId}-{bootId}-{seq}', () => {
    const [fromMs, toMs] = localMonthBounds('2023-06');
    for (const run of fleetMonth('2023-06')) {
      const times = run.events.map((e) => Date.parse(e.ts));
      expect(times.length).toBeGreaterThan(0);
      expect(times.filter((ms) => !(ms > fromMs && ms <= toMs))).toEqual([]);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      run.events.forEach((event, seq) => expect(event.id).toBe(`${run.kioskId}-boot1-${seq}`));
    }
  });

  test('a fault_cleared always follows its fault, and a fault still open is in the state', () => {
    for (const run of fleetMonth('2023-06')) {
      const open = new Set<string>();
      for (const event of run.events) {
        if (event.type === 'fault') open.add(event.faultId);
        if (event.type === 'fault_cleared') expect(open.delete(event.faultId)).toBe(true);
      }
      expect([...open].sort()).toEqual(run.state.openFaults.map((f) => f.faultId).sort());
    }
  });

  test('a machine blocked by a fault lends nothing until it is cleared, and lends again after', () => {
    let blockingFaults = 0;
    let lentAfterAClear = 0;
    for (const run of fleetMonth('2023-06')) {
      const blocking = new Set<string>();
      let wasBlocked = false;
      for (const event of run.events) {
        if (event.type === 'fault' && event.blocksLending) {
          blocking.add(event.faultId);
          blockingFaults += 1;
          wasBlocked = true;
        }
        if (event.type === 'fault_cleared') blocking.delete(event.faultId);
        if (event.type === 'loan' || event.type === 'return') {
          expect(blocking.size).toBe(0);
          if (wasBlocked) lentAfterAClear += 1;
          wasBlocked = false;
        }
      }
    }
    // Otherwise the loop above checks nothing: a month of 70 machines must hold blocking faults.
    expect(blockingFaults).toBeGreaterThan(0);
    expect(lentAfterAClear).toBeGreaterThan(0);
  });

  test('the same seed and state give the same events; a paused machine only faults', () => {
    const [fromMs] = localMonthBounds('2023-06');
    const toMs = fromMs + 7 * 86_400_000;
    const once = generateActivity(profile, 'CY-001', fromMs, toMs, createRng(7), createActivityState('b'));
    const twice = generateActivity(profile, 'CY-001', fromMs, toMs, createRng(7), createActivityState('b'));
    expect(twice.events).toEqual(once.events);
    // A machine faults every few weeks: half a year paused holds some faults to check.
    const paused = generateActivity(
      profile,
      'CY-001',
      fromMs,
      fromMs + 182 * 86_400_000,
      createRng(7),
      createActivityState('b', { isLendingPaused: true }),
    );
    expect(paused.events.filter((e) => e.type === 'fault').length).toBeGreaterThan(0);
    expect(paused.events.filter((e) => e.type !== 'fault' && e.type !== 'fault_cleared')).toEqual([]);
    expect(once.events.some((e) => e.type === 'loan')).toBe(true);
  });

  test('a fault carried over a gap clears at the start of the next interval', () => {
    const fromMs = Date.parse('2023-06-10T00:00:00+08:00');
    const state = createActivityState('b', {
      openFaults: [{ faultId: 'old', code: 'DOOR_OPEN', clearAtMs: fromMs - 86_400_000, isBlockingLending: true }],
    });
    const { events } = generateActivity(profile, 'CY-001', fromMs, fromMs + 60_000, createRng(1), state);
    expect(events[0]).toMatchObject({ type: 'fault_cleared', faultId: 'old', ts: '2023-06-10T00:00:00.001+08:00' });
  });

  test.each([0.5, 3, 42, 250])('Poisson draws with mean %s average to their mean', (mean) => {
    const rng = createRng(99);
    const draws = 20_000;
    let sum = 0;
    for (let i = 0; i < draws; i++) sum += samplePoisson(rng, mean);
    expect(sum / draws).toBeGreaterThan(mean * 0.97);
    expect(sum / draws).toBeLessThan(mean * 1.03);
  });
});
