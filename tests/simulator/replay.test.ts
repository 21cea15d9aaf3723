import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCalendar, nextDay } from '../../time/calendar.js';
import type { KioskEvent } from '../../protocol/events.js';
import { createActivityState, type ActivityState } from '../../simulator/generate.js';
import { loadReferenceFleet } from '../../simulator/fleet.js';
import { loadCirculationProfile, loadCirculationTable } from '../../simulator/profile.js';
import { generateReplayDay, replayBootId, runReplay, type ReplayResult } from '../../simulator/replay.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { createLogger } from '../../cli/logger.js';
import { CONFIG_KEYS } from '../../config/config.js';

const REFERENCE_DIR = join(import.meta.dirname, '../../reference');
const MACHINES = 70;
const profile = loadCirculationProfile(
  join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
  join(REFERENCE_DIR, 'fault-catalogue.csv'),
  MACHINES,
);
const reference = loadCirculationTable(join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'));
const calendar = createCalendar('Asia/Shanghai');
const SEED = 2023;
const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), MACHINES);

/** Every event of one machine over [fromDay, toDay), day by day, as the replay generates it. */
function replayMachine(kioskId: string, fromDay: string, toDay: string): KioskEvent[] {
  let state: ActivityState = createActivityState(replayBootId(SEED));
  const events: KioskEvent[] = [];
  for (let day = fromDay; day < toDay; day = nextDay(day)) {
    const generated = generateReplayDay(profile, calendar, kioskId, day, state, SEED);
    events.push(...generated.events);
    state = generated.state;
  }
  return events;
}

/** Runs `kiosk-fleet <args>` as a real child process, as a manager would from a shell. */
async function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !(CONFIG_KEYS as string[]).includes(key)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...clean, LOG_LEVEL: 'silent', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

const within3Percent = (actual: number, expected: number) => Math.abs(actual / expected - 1);

describe('replay generator', () => {
  const byMonth = new Map<string, { loans: number; returns: number }>();
  let firstMachine: KioskEvent[] = [];
  beforeAll(() => {
    for (const kiosk of kiosks) {
      const events = replayMachine(kiosk.id, '2023-01-01', '2024-01-01');
      if (kiosk.id === kiosks[0]!.id) firstMachine = events;
      for (const event of events) {
        if (event.type !== 'loan' && event.type !== 'return') continue;
        const month = calendar.monthOf(Date.parse(event.ts));
        const tally = byMonth.get(month) ?? { loans: 0, returns: 0 };
        if (event.type === 'loan') tally.loans++;
        else tally.returns++;
        byMonth.set(month, tally);
      }
    }
  });

  test.each(reference)('the whole of 2023 for 70 machines gives $month within 3 % of the reference', (row) => {
    const tally = byMonth.get(row.month)!;
    expect(within3Percent(tally.loans, row.loans)).toBeLessThan(0.03);
    expect(within3Percent(tally.returns, row.returns)).toBeLessThan(0.03);
    expect(within3Percent(tally.loans + tally.returns, row.loans + row.returns)).toBeLessThan(0.03);
  });

  test('every event falls inside the year, and nothing lands in a month outside it', () => {
    expect([...byMonth.keys()].sort()).toEqual(reference.map((r) => r.month));
    const times = firstMachine.map((e) => Date.parse(e.ts));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse('2023-01-01T00:00:00+08:00'));
    expect(Math.max(...times)).toBeLessThan(Date.parse('2024-01-01T00:00:00+08:00'));
  });

  test('the same seed gives the same events, so a second replay stores nothing new', () => {
    const again = replayMachine(kiosks[0]!.id, '2023-01-01', '2024-01-01');
    expect(again).toEqual(firstMachine);
    expect(new Set(again.map((e) => e.id)).size).toBe(again.length);
    expect(again[0]!.id).toMatch(new RegExp(`^${kiosks[0]!.id}-${replayBootId(SEED)}-\\d+$`));
  });

  test('days have a daily rhythm (quiet nights, busy evenings) and weekends are busier', () => {
    const all = kiosks
      .flatMap((k) => replayMachine(k.id, '2023-06-01', '2023-07-01'))
      .filter((e) => e.type === 'loan' || e.type === 'return');
    const hourOf = (e: KioskEvent) => Number(e.ts.slice(11, 13));
    const byHour = Array.from({ length: 24 }, (_, h) => all.filter((e) => hourOf(e) === h).length);
    expect(byHour[3]!).toBeLessThan(byHour[18]! / 20);
    const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay();
    const isWeekend = (day: string) => weekday(day) === 0 || weekday(day) === 6;
    const juneDays = Array.from({ length: 30 }, (_, i) => `2023-06-${String(i + 1).padStart(2, '0')}`);
    const perDay = (weekend: boolean) =>
      all.filter((e) => isWeekend(e.ts.slice(0, 10)) === weekend).length /
      juneDays.filter((d) => isWeekend(d) === weekend).length;
    expect(perDay(true)).toBeGreaterThan(perDay(false) * 1.15);
  });
});

describe('replay through the platform', () => {
  let t: TestPlatform;
  let result: ReplayResult;
  beforeAll(async () => {
    t = await startTestPlatform();
    const tokens = new Map((await t.platform.foundation.registry.provisionMissing(kiosks)).map(({ kiosk, token }) => [kiosk.id, token]));
    result = await runReplay({
      brokerUrl: t.mqttUrl,
      topics: t.platform.foundation.topics,
      kiosks,
      credentials: (id) => ({ username: id, password: tokens.get(id)! }),
      profile,
      fromDay: '2023-01-01',
      toDay: '2024-01-01',
      seed: SEED,
      outboxFile: join(t.dataDir, 'replay-outbox.sqlite'),
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    });
  }, 120_000);
  afterAll(async () => t?.stop());

  test('the platform acked every generated event, none rejected', () => {
    expect(result.machinesDone).toBe(MACHINES);
    expect(result.acked).toBe(result.generated);
    expect(result.rejected).toBe(0);
  });

  test('`kiosk-fleet replay --year 2023` against the running platform reports when all is acked; the same year again stores nothing twice', async () => {
    const before = await t.get<{ total: { total: number } }>('/api/v1/reports/circulation?from=2023-01&to=2023-12');
    const run = await runCli(['replay', '--year', '2023', '--sim-kiosks', '3'], {
      DATA_DIR: t.dataDir,
      MQTT_PORT: String(t.platform.broker!.port),
    });
    expect(run.code, run.stderr).toBe(0);
    const summary = /^3 machines: ([\d,]+) events acked by the platform \(0 rejected\)/m.exec(run.stdout);
    expect(summary).not.toBeNull();
    const monthLines = run.stdout.split('\n').filter((line) => /^2023-\d\d /.test(line));
    expect(monthLines).toHaveLength(12);
    let loansAndReturns = 0;
    for (const kioskId of ['CY-001', 'CY-002', 'CY-003']) {
      loansAndReturns += (
        await t.get<{ total: { total: number } }>(`/api/v1/reports/circulation?from=2023-01&to=2023-12&kiosk=${kioskId}`)
      ).body.total.total;
    }
    expect(monthLines.reduce((sum, line) => sum + Number(line.split(/\s+/)[3]), 0)).toBe(loansAndReturns);
    expect((await t.get<{ total: { total: number } }>('/api/v1/reports/circulation?from=2023-01&to=2023-12')).body.total).toEqual(
      before.body.total,
    );
  }, 60_000);

  test('a replay without a valid past year, or --year on another command, exits 2 saying why', async () => {
    const cases: [string[], string][] = [
      [['replay'], 'replay needs --year'],
      [['replay', '--year', '23'], 'replay needs --year'],
      [['replay', '--year', '2999'], 'nothing to replay'],
      [['start', '--year', '2023'], 'unknown option --year for start'],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args, { DATA_DIR: t.dataDir })));
    expect(runs.map((run, i) => [run.code, run.stderr.includes(cases[i]![1])])).toEqual(cases.map(() => [2, true]));
  });

  test("every month of the platform's 2023 table is within 3 % of the reference network's", async () => {
    const { body } = await t.get<{ rows: { month: string; loans: number; returns: number; total: number }[] }>(
      '/api/v1/reports/circulation?from=2023-01&to=2023-12',
    );
    expect(body.rows.map((r) => r.month)).toEqual(reference.map((r) => r.month));
    for (const [i, row] of body.rows.entries()) {
      const expected = reference[i]!;
      expect(within3Percent(row.loans, expected.loans), `${row.month} loans`).toBeLessThan(0.03);
      expect(within3Percent(row.returns, expected.returns), `${row.month} returns`).toBeLessThan(0.03);
      expect(within3Percent(row.total, expected.loans + expected.returns), `${row.month} total`).toBeLessThan(0.03);
      expect(row.loans).toBe(result.generatedByMonth.get(row.month)!.loans);
      expect(row.returns).toBe(result.generatedByMonth.get(row.month)!.returns);
    }
  });
});
