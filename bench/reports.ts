/**
 * `npm run bench:reports`: the managers' monthly circulation table over a store of 10 M events.
 *
 * Honest setup: every event is appended through the EventStore port (`createSqliteEventStore`,
 * synchronous=FULL, batches of 10,000), so the daily and monthly rollups are built at append time
 * exactly as ingest builds them. Then the table is timed twice: the store query plus the pure table
 * (what the route does before formatting), and the real route over HTTP on the platform started
 * on the same data directory (JSON, CSV, XLSX). Each figure is checked against the tallies the
 * generator kept while it made the events.
 *
 *   npm run bench:reports -- [--events 10000000] [--machines 1000] [--from 2021-01-01] [--days 1095]
 *                            [--batch 10000] [--repeat 20] [--dir DIR] [--write]
 *
 * With `--dir`, the filled store is kept there and reused by later runs (the fill takes minutes).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../cli/logger.js';
import { startPlatform } from '../platform/index.js';
import { createCalendar, nextDay } from '../time/calendar.js';
import type { EventRecord } from '../collector/store/event-store.js';
import { createSqliteEventStore } from '../collector/store/sqlite-event-store.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../config/config.js';
import { readCirculationTable } from '../dashboard/reports/circulation-report.js';
import { timestampFormatterFor } from '../simulator/local-timestamp.js';
import { DEFAULT_HOUR_WEIGHTS } from '../simulator/profile.js';
import { createRng } from '../simulator/random.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = join(PROJECT_ROOT, 'docs', 'benchmarks.md');
const RESULTS_BEGIN = '<!-- bench:reports:begin -->';
const RESULTS_END = '<!-- bench:reports:end -->';
const TIME_ZONE = 'Asia/Shanghai';
const MANIFEST = 'bench-manifest.json';
/** Shares of event types: returns outnumber loans about 2.3 : 1 (docs/domain.md); a few faults. */
const TYPE_SHARES: readonly [string, number][] = [
  ['loan', 0.3],
  ['return', 0.69],
  ['fault', 0.005],
  ['fault_cleared', 0.005],
];

interface Options {
  events: number;
  machines: number;
  fromDay: string;
  days: number;
  batch: number;
  repeat: number;
  dir: string | undefined;
  write: boolean;
}

interface Manifest {
  options: Omit<Options, 'dir' | 'write' | 'repeat'>;
  /** `YYYY-MM loan` → count, as generated. */
  expected: Record<string, number>;
  /** Loans and returns of machine M-0001, by month: the one-machine table's check. */
  expectedFirstMachine: Record<string, number>;
  fill: { seconds: number; eventsPerSecond: number; fileBytes: number };
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '10000000' },
      machines: { type: 'string', default: '1000' },
      from: { type: 'string', default: '2021-01-01' },
      days: { type: 'string', default: '1095' },
      batch: { type: 'string', default: '10000' },
      repeat: { type: 'string', default: '20' },
      dir: { type: 'string' },
      write: { type: 'boolean', default: false },
    },
    strict: true,
  });
  return {
    events: Number(values.events),
    machines: Number(values.machines),
    fromDay: values.from,
    days: Number(values.days),
    batch: Number(values.batch),
    repeat: Number(values.repeat),
    dir: values.dir,
    write: values.write,
  };
}

const kioskId = (n: number) => `M-${String(n + 1).padStart(4, '0')}`;
const log = (line: string) => process.stderr.write(`${line}\n`);

function pick<T>(weighted: readonly [T, number][], uniform: number): T {
  let sum = 0;
  for (const [value, weight] of weighted) {
    sum += weight;
    if (uniform < sum) return value;
  }
  return weighted.at(-1)![0];
}

/** Appends `events` synthetic events, spread over the days and machines, through the port. */
async function fill(dir: string, options: Options): Promise<Manifest> {
  const store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: TIME_ZONE });
  const calendar = createCalendar(TIME_ZONE);
  const format = timestampFormatterFor(TIME_ZONE);
  const rng = createRng(20_231_231);
  const hourWeightSum = DEFAULT_HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  const hours = DEFAULT_HOUR_WEIGHTS.map((w, hour) => [hour, w / hourWeightSum] as [number, number]);
  const expected: Record<string, number> = {};
  const expectedFirstMachine: Record<string, number> = {};
  let batch: EventRecord[] = [];
  let n = 0;
  const startedMs = performance.now();
  let day = options.fromDay;
  for (let d = 0; d < options.days; d++, day = nextDay(day)) {
    const dayStartMs = calendar.startOfDay(day);
    const perDay = Math.floor(((d + 1) * options.events) / options.days) - Math.floor((d * options.events) / options.days);
    for (let i = 0; i < perDay; i++, n++) {
      const tsMs = dayStartMs + pick(hours, rng()) * 3_600_000 + Math.floor(rng() * 3_600_000);
      const type = pick(TYPE_SHARES, rng());
      const machine = kioskId(Math.floor(rng() * options.machines));
      const id = `${machine}-bench-${n}`;
      const ts = format(tsMs);
      const data: Record<string, unknown> =
        type === 'loan' || type === 'return'
          ? { id, ts, type, itemId: `B${100_000 + (n % 900_000)}` }
          : {
              id,
              ts,
              type,
              faultId: `${machine}-f${n}`,
              ...(type === 'fault' ? { component: 'receipt_printer', code: 'PAPER_OUT', severity: 'minor' } : {}),
            };
      batch.push({ id, kioskId: machine, type, ts, tsMs, receivedMs: tsMs + 1_000, data });
      const key = `${day.slice(0, 7)} ${type}`;
      expected[key] = (expected[key] ?? 0) + 1;
      if (machine === kioskId(0) && (type === 'loan' || type === 'return'))
        expectedFirstMachine[key] = (expectedFirstMachine[key] ?? 0) + 1;
      if (batch.length === options.batch) {
        await store.append(batch);
        batch = [];
        if ((n + 1) % 1_000_000 < options.batch) {
          const seconds = (performance.now() - startedMs) / 1000;
          log(
            `  ${((n + 1) / 1e6).toFixed(1)} M events appended, ${Math.round((n + 1) / seconds).toLocaleString('en-US')} events/s`,
          );
        }
      }
    }
  }
  if (batch.length > 0) await store.append(batch);
  await store.close();
  const seconds = (performance.now() - startedMs) / 1000;
  const fileBytes = statSync(join(dir, 'events.sqlite')).size;
  const { dir: _dir, write: _write, repeat: _repeat, ...kept } = options;
  return { options: kept, expected, expectedFirstMachine, fill: { seconds, eventsPerSecond: n / seconds, fileBytes } };
}

interface Timing {
  label: string;
  ms: number[];
  check: string;
}

function summary(ms: number[]): { min: number; median: number; p95: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { min: sorted[0]!, median: at(0.5), p95: at(0.95), max: sorted.at(-1)! };
}

async function time(repeat: number, work: () => Promise<void>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const startedMs = performance.now();
    await work();
    ms.push(performance.now() - startedMs);
  }
  return ms;
}

function expectedMonths(
  manifest: Manifest,
  from: string,
  to: string,
  source: Record<string, number> = manifest.expected,
): string {
  const rows = Object.entries(source).filter(
    ([key]) => key.slice(0, 7) >= from && key.slice(0, 7) <= to && / (loan|return)$/.test(key),
  );
  return `${rows.reduce((sum, [, count]) => sum + count, 0)}`;
}

/** Times the store query + pure table, then the routes over HTTP, checking every answer's total. */
async function measure(dir: string, manifest: Manifest, repeat: number): Promise<Timing[]> {
  const store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: TIME_ZONE });
  const calendar = createCalendar(TIME_ZONE);
  const lastDay = new Date(Date.parse(`${manifest.options.fromDay}T00:00:00Z`) + (manifest.options.days - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const from = manifest.options.fromDay.slice(0, 7);
  const to = lastDay.slice(0, 7);
  const lastYear = `${to.slice(0, 4)}-01`;
  const timings: Timing[] = [];
  const nowMs = Date.now();
  const district = Array.from({ length: Math.min(100, manifest.options.machines) }, (_, i) => kioskId(i));
  const cases: [string, string, string, readonly string[] | undefined, string][] = [
    [`whole fleet, ${from} to ${to}`, from, to, undefined, expectedMonths(manifest, from, to)],
    [`whole fleet, ${lastYear} to ${to}`, lastYear, to, undefined, expectedMonths(manifest, lastYear, to)],
    [`${district.length} machines (a district), ${from} to ${to}`, from, to, district, '—'],
    [`one machine, ${from} to ${to}`, from, to, [kioskId(0)], expectedMonths(manifest, from, to, manifest.expectedFirstMachine)],
  ];
  for (const [label, caseFrom, caseTo, kioskIds, expectedTotal] of cases) {
    let total = 0;
    const scope =
      kioskIds === undefined ? { kind: 'fleet' as const } : { kind: 'district' as const, district: 'bench', kioskIds };
    const ms = await time(repeat, async () => {
      total = (await readCirculationTable(store, calendar, scope, caseFrom, caseTo, nowMs)).total.total;
    });
    if (expectedTotal !== '—' && String(total) !== expectedTotal)
      throw new Error(`${label}: table total ${total}, generated ${expectedTotal}`);
    log(`  store + table, ${label}: median ${summary(ms).median.toFixed(1)} ms`);
    timings.push({
      label: `store + table: ${label}`,
      ms,
      check:
        expectedTotal === '—' ? `total ${total.toLocaleString('en-US')}` : `total ${total.toLocaleString('en-US')} = generated`,
    });
  }
  await store.close();

  log('starting the platform on the filled data directory');
  const config = parseConfig({
    ...LOOPBACK_SETTINGS,
    DATA_DIR: dir,
  });
  const platformStartMs = performance.now();
  const platform = await startPlatform(config, createLogger('silent'));
  log(`  platform started in ${((performance.now() - platformStartMs) / 1000).toFixed(1)} s`);
  try {
    const base = `http://127.0.0.1:${platform.dashboard.port}/api/v1/reports/circulation?from=${from}&to=${to}`;
    const authorization = {
      authorization: `Bearer ${(await platform.auth.tokens.issue({ name: 'bench reports', role: 'manager', createdBy: 'bench' })).secret}`,
    };
    const fleetTotal = expectedMonths(manifest, from, to);
    for (const format of ['json', 'csv', 'xlsx'] as const) {
      let bytes = 0;
      let total = '';
      const ms = await time(repeat, async () => {
        const res = await fetch(`${base}&format=${format}&lang=zh`, { headers: authorization });
        if (res.status !== 200) throw new Error(`${format}: HTTP ${res.status} ${await res.text()}`);
        const body = Buffer.from(await res.arrayBuffer());
        bytes = body.length;
        if (format === 'json') total = String((JSON.parse(body.toString('utf8')) as { total: { total: number } }).total.total);
      });
      if (format === 'json' && total !== fleetTotal) throw new Error(`HTTP json total ${total}, generated ${fleetTotal}`);
      timings.push({
        label: `GET /api/v1/reports/circulation (${format}, whole fleet, ${from} to ${to})`,
        ms,
        check:
          format === 'json'
            ? `total ${Number(total).toLocaleString('en-US')} = generated`
            : `${bytes.toLocaleString('en-US')} bytes`,
      });
    }
  } finally {
    await platform.stop();
  }
  return timings;
}

function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

function markdown(manifest: Manifest, timings: Timing[], repeat: number): string {
  const o = manifest.options;
  const f = manifest.fill;
  const ms = (value: number) => (value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US'));
  const lines = [
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${machineLine()}.`,
    `${o.events.toLocaleString('en-US')} events (${o.machines.toLocaleString('en-US')} machines, ${o.days} days from ${o.fromDay}, ${TIME_ZONE}) appended through \`EventStore.append\` in batches of ${o.batch.toLocaleString('en-US')}, synchronous=FULL: ${Math.round(f.seconds)} s, ${Math.round(f.eventsPerSecond).toLocaleString('en-US')} events/s, file ${(f.fileBytes / 2 ** 30).toFixed(2)} GiB.`,
    `Each query ${repeat} times in a row (the first one included).`,
    '',
    '| what | min | median | p95 | max | check |',
    '|---|---:|---:|---:|---:|---|',
    ...timings.map((t) => {
      const s = summary(t.ms);
      return `| ${t.label} | ${ms(s.min)} ms | **${ms(s.median)} ms** | ${ms(s.p95)} ms | ${ms(s.max)} ms | ${t.check} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dir = options.dir ?? (await mkdtemp(join(os.tmpdir(), 'kiosk-bench-reports-')));
  try {
    const manifestFile = join(dir, MANIFEST);
    let manifest: Manifest;
    if (existsSync(manifestFile)) {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
      log(`reusing the store in ${dir} (${manifest.options.events.toLocaleString('en-US')} events)`);
    } else {
      log(`appending ${options.events.toLocaleString('en-US')} events to ${dir}`);
      manifest = await fill(dir, options);
      writeFileSync(manifestFile, JSON.stringify(manifest));
    }
    const timings = await measure(dir, manifest, options.repeat);
    const text = markdown(manifest, timings, options.repeat);
    process.stdout.write(text);
    if (options.write) {
      const doc = await readFile(DOC, 'utf8');
      const begin = doc.indexOf(RESULTS_BEGIN);
      const end = doc.indexOf(RESULTS_END);
      if (begin < 0 || end < begin) throw new Error(`${DOC} lacks the ${RESULTS_BEGIN} … ${RESULTS_END} markers`);
      await writeFile(DOC, `${doc.slice(0, begin + RESULTS_BEGIN.length)}\n${text}${doc.slice(end)}`);
      log(`results written to ${DOC}`);
    }
  } finally {
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
