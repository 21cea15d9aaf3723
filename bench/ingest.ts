/**
 * `npm run bench`: end-to-end ingest throughput and latency.
 *
 * A machine publishes a QoS 1 event → the collector validates it and appends it durably to SQLite
 * → the collector publishes the application-level ack → the machine receives it. This process
 * hosts the whole platform (embedded broker + collector + dashboard, as `npm start` runs it, no
 * simulated fleet); the machines are real MQTT.js clients in a child process
 * (bench/load-generator.ts) with its own event loop. Each scenario gets a fresh data directory,
 * and ends by checking that the store holds exactly the events that were acked.
 *
 *   npm run bench -- [--machines 200] [--window 20[,50,…]] [--batch 50] [--batch-window 100]
 *                    [--rate 2000] [--warmup 3] [--duration 15] [--scenarios single,batch,rate]
 *                    [--repeat 1] [--synchronous FULL] [--profile] [--write] [--floor N] [--live-rate 1000]
 *                    [--cli-messages 200000] [--replay-year 2023]
 *
 * Scenarios beyond the platform's own: `mosquitto` / `mosquitto-batch` (the platform with Debian's
 * Mosquitto as its broker), `wire` (Mosquitto + a bare echo subscriber: the wire limit, round trip),
 * `wire-cli` (mosquitto_pub -l → mosquitto_sub, one way), `live` (publish → socket.io push), and
 * `replay` (kiosk-fleet replay --year, bench/replay.ts). `npm run bench:smoke` is the CI floor.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createLogger } from '../cli/logger.js';
import { openFoundation, startPlatform, type RunningPlatform } from '../cli/platform.js';
import { emptyIngestStats, type IngestStats } from '../collector/ingest.js';
import { createSqliteEventStore } from '../collector/store/sqlite-event-store.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../config/config.js';
import type { GeneratorResult, LoadShape, MachineCredentials, RunCommand } from './ipc.js';
import { type CliWireResult, type EchoStats, runCliWire, startEchoCollector, startMosquitto } from './mosquitto.js';
import { issueBenchToken } from './api-token.js';
import { runGenerators } from './generators.js';
import { formatProfile, PlatformProfiler, type ProfileSummary } from './profile.js';
import { type ReplayBenchResult, runReplayBench } from './replay.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = join(PROJECT_ROOT, 'docs', 'benchmarks.md');
const RESULTS_BEGIN = '<!-- bench:results:begin -->';
const RESULTS_END = '<!-- bench:results:end -->';

/**
 * The embedded broker's abuse limits, off: 200 machines on one address connect within a second
 * and each publishes hundreds of messages a second, far beyond what a kiosk does.
 */
const BENCH_BROKER_LIMITS = Object.freeze({ CONNECT_RATE_PER_ADDRESS: '0', PUBLISH_RATE_PER_KIOSK: '0' });

const SCENARIO_NAMES = ['single', 'batch', 'rate', 'mosquitto', 'mosquitto-batch', 'wire', 'wire-cli', 'live', 'replay'] as const;
type ScenarioName = (typeof SCENARIO_NAMES)[number];

interface Options {
  machines: number;
  /** Load generator processes the machines are split among. */
  generators: number;
  /** One single-event scenario per window: `--window 1,20,50` sweeps. */
  windows: number[];
  batch: number;
  batchWindow: number;
  rate: number;
  warmupMs: number;
  measureMs: number;
  drainTimeoutMs: number;
  scenarios: ScenarioName[];
  repeat: number;
  synchronous: 'FULL' | 'NORMAL';
  profile: boolean;
  write: boolean;
  /** Exit 1 if a one-event-per-message saturated scenario acks fewer events/s (the CI smoke bench). */
  floor: number;
  liveRate: number;
  cliMessages: number;
  replayYear: number;
}

interface Scenario {
  name: ScenarioName;
  title: string;
  load: LoadShape;
  /** The MQTT broker: the platform's embedded aedes, or Debian's Mosquitto (`MQTT_URL`). */
  broker: 'embedded' | 'mosquitto';
  /** Who answers the events: the platform's collector, or a bare echo subscriber (the wire limit). */
  collector: 'platform' | 'echo';
  /** Connect a socket.io client to the dashboard and measure publish → `events` push. */
  live: boolean;
}

interface PlatformWindow {
  /** Wall seconds of the window as the platform measured it. */
  seconds: number;
  cpuCores: number;
  /** CPU of the main thread alone (the event loop; the store's writer thread is the rest), Linux only. */
  mainThreadCpuCores: number | null;
  eventLoopUtilization: number;
  rssPeakMB: number;
  storedPerSecond: number;
  messagesInPerSecond: number;
  acksSentPerSecond: number;
  /** Mosquitto's own CPU over the window, when it is the broker. */
  brokerCpuCores: number | null;
  /** From /proc/self/io (Linux), per event stored: syscalls and bytes handed to the disk. */
  io: { readSyscallsPerEvent: number; writeSyscallsPerEvent: number; diskBytesPerEvent: number } | null;
}

/** CPU seconds (user + system) of this process's main thread so far, from /proc (Linux); NaN elsewhere. */
function mainThreadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

interface IoCounters {
  syscr: number;
  syscw: number;
  write_bytes: number;
}

/** This process's I/O counters (read and write syscalls of every kind, sockets included). */
function ioCounters(): IoCounters | null {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    const value = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const counters = { syscr: value('syscr'), syscw: value('syscw'), write_bytes: value('write_bytes') };
    return Object.values(counters).every(Number.isFinite) ? counters : null;
  } catch {
    return null;
  }
}

interface Verification {
  ok: boolean;
  storeCount: number;
  storeDistinctIds: number;
  countedByStore: number;
  problems: string[];
}

interface RunResult {
  scenario: Scenario;
  run: number;
  generator: GeneratorResult;
  platform: PlatformWindow;
  ingest: IngestStats;
  verification: Verification;
  profile: ProfileSummary | null;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      machines: { type: 'string', default: '200' },
      generators: { type: 'string', default: '2' },
      window: { type: 'string', default: '20' },
      batch: { type: 'string', default: '50' },
      'batch-window': { type: 'string' },
      rate: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '3' },
      duration: { type: 'string', default: '15' },
      'drain-timeout': { type: 'string', default: '60' },
      scenarios: { type: 'string', default: SCENARIO_NAMES.join(',') },
      repeat: { type: 'string', default: '1' },
      synchronous: { type: 'string', default: 'FULL' },
      profile: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      floor: { type: 'string', default: '0' },
      'live-rate': { type: 'string', default: '1000' },
      'cli-messages': { type: 'string', default: '200000' },
      'replay-year': { type: 'string', default: '2023' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      [
        'npm run bench -- [flags]',
        '  --machines N        connected machines, one MQTT client each (200)',
        '  --generators N      load generator processes the machines are split among (2)',
        '  --window N[,N…]     unacked events per machine, one event per message (20); a list sweeps',
        '  --batch N           events per message in the batch scenario (50)',
        '  --batch-window N    unacked events per machine in the batch scenario (2 × batch)',
        '  --rate N            events/s of the whole fleet in the fixed-rate scenario (2000)',
        '  --warmup S          seconds before measuring (3)',
        '  --duration S        seconds measured (15)',
        '  --drain-timeout S   most seconds to wait for the last acks (60)',
        `  --scenarios LIST    any of ${SCENARIO_NAMES.join(',')} (all)`,
        '  --repeat N          run every scenario N times (1)',
        '  --synchronous MODE  SQLITE_SYNCHRONOUS of the platform: FULL (default) or NORMAL',
        '  --profile           sample the platform CPU during each window; print where the time goes',
        '  --write             replace the results section of docs/benchmarks.md',
        '  --floor N           exit 1 if a one-event-per-message saturated run acks fewer events/s (0: off)',
        '  --live-rate N       events/s of the live-latency scenario (1000)',
        '  --cli-messages N    messages of the mosquitto_pub → mosquitto_sub run (200000)',
        '  --replay-year YYYY  year of the replay scenario (2023), 70 reference machines',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
    return n;
  };
  const batch = int('batch', values.batch, 1, 500);
  const scenarios = (values.scenarios ?? '').split(',').filter(Boolean);
  for (const s of scenarios)
    if (!(SCENARIO_NAMES as readonly string[]).includes(s))
      throw new Error(`unknown scenario ${s}; known: ${SCENARIO_NAMES.join(', ')}`);
  if (values.synchronous !== 'FULL' && values.synchronous !== 'NORMAL') throw new Error('--synchronous must be FULL or NORMAL');
  const options: Options = {
    machines: int('machines', values.machines, 1, 5000),
    generators: int('generators', values.generators, 1, 16),
    windows: (values.window ?? '').split(',').map((w) => int('window', w, 1, 10_000)),
    batch,
    batchWindow: int('batch-window', values['batch-window'] ?? String(2 * batch), batch, 50_000),
    rate: int('rate', values.rate, 1, 1_000_000),
    warmupMs: int('warmup', values.warmup, 0, 600) * 1000,
    measureMs: int('duration', values.duration, 1, 600) * 1000,
    drainTimeoutMs: int('drain-timeout', values['drain-timeout'], 1, 600) * 1000,
    scenarios: scenarios as ScenarioName[],
    repeat: int('repeat', values.repeat, 1, 20),
    synchronous: values.synchronous,
    profile: values.profile ?? false,
    write: values.write ?? false,
    floor: int('floor', values.floor, 0, 10_000_000),
    liveRate: int('live-rate', values['live-rate'], 1, 100_000),
    cliMessages: int('cli-messages', values['cli-messages'], 1, 10_000_000),
    replayYear: int('replay-year', values['replay-year'], 2000, 2100),
  };
  // The collector holds at most 100,000 events in memory and sheds (does not ack) beyond that.
  for (const [name, inFlight] of [
    ['window', options.machines * Math.max(...options.windows)],
    ['batch-window', options.machines * options.batchWindow],
  ] as const) {
    if (inFlight > 90_000)
      throw new Error(
        `--machines × --${name} = ${inFlight} events in flight: keep it under 90,000 (the collector sheds beyond 100,000 queued)`,
      );
  }
  return options;
}

function scenariosOf(options: Options): Scenario[] {
  const aedes = { broker: 'embedded', collector: 'platform', live: false } as const;
  const mosquitto = { broker: 'mosquitto', collector: 'platform', live: false } as const;
  const singles = (prefix: string) =>
    options.windows.map((window) => ({
      title: `${prefix}one event per message, saturated${options.windows.length > 1 ? `, window ${window}` : ''}`,
      load: { kind: 'closed', eventsPerMessage: 1, window } as const,
    }));
  const batch = { kind: 'closed', eventsPerMessage: options.batch, window: options.batchWindow } as const;
  const all: Record<Exclude<ScenarioName, 'wire-cli' | 'replay'>, Scenario[]> = {
    single: singles('').map((s) => ({ name: 'single', ...aedes, ...s })),
    batch: [{ name: 'batch', ...aedes, title: `${options.batch} events per message, saturated`, load: batch }],
    rate: [
      {
        name: 'rate',
        ...aedes,
        title: `one event per message, fixed ${options.rate.toLocaleString('en')} ev/s`,
        load: { kind: 'open', eventsPerMessage: 1, ratePerSecond: options.rate, maxUnackedPerMachine: 1000 },
      },
    ],
    mosquitto: singles('Mosquitto: ').map((s) => ({ name: 'mosquitto', ...mosquitto, ...s })),
    'mosquitto-batch': [
      { name: 'mosquitto-batch', ...mosquitto, title: `Mosquitto: ${options.batch} events per message, saturated`, load: batch },
    ],
    wire: singles('wire limit (Mosquitto + echo): ').map((s) => ({
      name: 'wire',
      broker: 'mosquitto',
      collector: 'echo',
      live: false,
      ...s,
    })),
    live: [
      {
        name: 'live',
        broker: 'embedded',
        collector: 'platform',
        live: true,
        title: `live: one event per message, fixed ${options.liveRate.toLocaleString('en')} ev/s, socket.io client`,
        load: { kind: 'open', eventsPerMessage: 1, ratePerSecond: options.liveRate, maxUnackedPerMachine: 1000 },
      },
    ],
  };
  return options.scenarios.flatMap((name) => (name === 'wire-cli' || name === 'replay' ? [] : all[name]));
}

/** The machines, registered in the data directory's registry before the platform starts. */
function provisionMachines(dataDir: string, config: ReturnType<typeof parseConfig>, count: number): MachineCredentials[] {
  const foundation = openFoundation(config, createLogger('silent'));
  try {
    const width = String(count).length;
    const provisioned = foundation.registry.provisionMissing(
      Array.from({ length: count }, (_, i) => ({
        id: `BENCH-${String(i + 1).padStart(width, '0')}`,
        name: `Benchmark machine ${i + 1}`,
        district: 'Bench',
        lat: 39.9 + (i % 100) / 1000,
        lon: 116.4 + Math.floor(i / 100) / 1000,
      })),
    );
    if (provisioned.length !== count)
      throw new Error(`provisioned ${provisioned.length} machines in ${dataDir}, expected ${count}`);
    return provisioned.map((p) => ({ id: p.kiosk.id, token: p.token }));
  } finally {
    foundation.registry.close();
  }
}

async function countStored(file: string, timeZone: string): Promise<{ byStore: number; rows: number; distinct: number }> {
  const store = createSqliteEventStore({ file, timeZone });
  let byStore = 0;
  try {
    const rows = await store.countByPeriod({
      granularity: 'month',
      fromDay: '2000-01-01',
      toDay: '2100-01-01',
      types: ['loan', 'return'],
    });
    byStore = rows.reduce((sum, r) => sum + r.count, 0);
  } finally {
    await store.close();
  }
  const db = new Database(file, { readonly: true });
  try {
    const row = db
      .prepare(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM events WHERE type IN ('loan', 'return')`)
      .get() as { n: number; d: number };
    return { byStore, rows: row.n, distinct: row.d };
  } finally {
    db.close();
  }
}

/** What the benchmark reads of the collector: the platform's ingest, or the echo's counters. */
interface IngestView {
  stats(): IngestStats;
  drain(): Promise<void>;
}

function echoIngest(echo: { stats(): EchoStats }): IngestView {
  return {
    stats: () => ({ ...emptyIngestStats(), ...echo.stats() }),
    drain: async () => {},
  };
}

async function runScenario(scenario: Scenario, run: number, options: Options): Promise<RunResult> {
  const dataDir = await mkdtemp(join(os.tmpdir(), 'kiosk-fleet-bench-'));
  const mosquitto = scenario.broker === 'mosquitto' ? await startMosquitto() : null;
  const config = parseConfig({
    ...LOOPBACK_SETTINGS,
    ...BENCH_BROKER_LIMITS,
    DATA_DIR: dataDir,
    SQLITE_SYNCHRONOUS: options.synchronous,
    ...(mosquitto ? { MQTT_URL: mosquitto.url } : {}),
  });
  let platform: { stop(): Promise<void> } | null = null;
  try {
    const machines = provisionMachines(dataDir, config, options.machines);
    // The dashboard's live pushes need a signed-in person or an integration token.
    const liveToken = scenario.live ? issueBenchToken(dataDir, 'operator') : undefined;
    let ingest: IngestView;
    let mqttUrl: string;
    let live: RunCommand['live'];
    let stopCollector: () => Promise<void>;
    if (scenario.collector === 'echo') {
      if (!mosquitto) throw new Error('the echo collector needs Mosquitto');
      const echo = await startEchoCollector(mosquitto.url, config.TOPIC_ROOT);
      platform = echo;
      stopCollector = () => echo.stop();
      ingest = echoIngest(echo);
      mqttUrl = mosquitto.url;
    } else {
      const running: RunningPlatform = await startPlatform(config, createLogger(config.LOG_LEVEL));
      platform = running;
      stopCollector = () => running.stop();
      ingest = running.collector.ingest;
      mqttUrl = running.mqttUrl;
      if (scenario.live) live = { url: `http://127.0.0.1:${running.dashboard.port}`, token: liveToken! };
    }
    let brokerCpuAtStart = Number.NaN;
    let brokerCpuCores: number | null = null;
    let rssPeak = 0;
    let sampler: NodeJS.Timeout | null = null;
    let atStart: {
      t: number;
      cpu: NodeJS.CpuUsage;
      mainCpuSeconds: number;
      elu: ReturnType<typeof performance.eventLoopUtilization>;
      ingest: IngestStats;
      io: IoCounters | null;
    } | null = null;
    let window: PlatformWindow | null = null;
    let profiler: PlatformProfiler | null = null;
    let profiling: Promise<ProfileSummary> | null = null;
    const profileFile = join(os.tmpdir(), `kiosk-fleet-bench-${scenario.name}-${run}-${process.pid}.cpuprofile`);

    const command: RunCommand = {
      type: 'run',
      mqttUrl,
      topicRoot: config.TOPIC_ROOT,
      machines,
      load: scenario.load,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      drainTimeoutMs: options.drainTimeoutMs,
      connectConcurrency: 20,
      ...(live ? { live } : {}),
    };
    const budgetMs = 60_000 + options.warmupMs + options.measureMs + options.drainTimeoutMs + 30_000;
    const result = await runGenerators(command, options.generators, budgetMs, {
      connected(count, connectMs, pids) {
        process.stderr.write(
          `  ${count} machines connected in ${(connectMs / 1000).toFixed(1)} s ` +
            `(platform pid ${process.pid}, load generator pid${pids.length > 1 ? 's' : ''} ${pids.join(', ')})\n`,
        );
      },
      measureStart() {
        atStart = {
          t: performance.now(),
          cpu: process.cpuUsage(),
          mainCpuSeconds: mainThreadCpuSeconds(),
          elu: performance.eventLoopUtilization(),
          ingest: ingest.stats(),
          io: ioCounters(),
        };
        if (mosquitto) void mosquitto.cpu().then((c) => (brokerCpuAtStart = c));
        rssPeak = process.memoryUsage.rss();
        sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 250);
        if (options.profile) {
          profiler = new PlatformProfiler();
          void profiler.start();
        }
      },
      measureEnd() {
        if (!atStart) return;
        const seconds = (performance.now() - atStart.t) / 1000;
        const cpu = process.cpuUsage(atStart.cpu);
        const now = ingest.stats();
        const io = ioCounters();
        const stored = now.eventsStored - atStart.ingest.eventsStored;
        if (sampler) clearInterval(sampler);
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        if (mosquitto) void mosquitto.cpu().then((c) => (brokerCpuCores = (c - brokerCpuAtStart) / seconds));
        window = {
          seconds,
          cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
          mainThreadCpuCores: nullIfNaN((mainThreadCpuSeconds() - atStart.mainCpuSeconds) / seconds),
          eventLoopUtilization: performance.eventLoopUtilization(atStart.elu).utilization,
          rssPeakMB: rssPeak / 2 ** 20,
          storedPerSecond: stored / seconds,
          messagesInPerSecond: (now.messagesIn - atStart.ingest.messagesIn) / seconds,
          acksSentPerSecond: (now.acksSent - atStart.ingest.acksSent) / seconds,
          brokerCpuCores: null,
          io:
            io && atStart.io && stored > 0
              ? {
                  readSyscallsPerEvent: (io.syscr - atStart.io.syscr) / stored,
                  writeSyscallsPerEvent: (io.syscw - atStart.io.syscw) / stored,
                  diskBytesPerEvent: (io.write_bytes - atStart.io.write_bytes) / stored,
                }
              : null,
        };
        if (profiler) profiling = profiler.stop(profileFile);
      },
    }).finally(() => {
      if (sampler) clearInterval(sampler);
    });

    await ingest.drain();
    const ingestStats = ingest.stats();
    const profile = profiling ? await (profiling as Promise<ProfileSummary>) : null;
    platform = null;
    await stopCollector();
    if (window) (window as PlatformWindow).brokerCpuCores = brokerCpuCores;

    const counted =
      scenario.collector === 'echo'
        ? { rows: result.totals.ackedEvents, distinct: result.totals.ackedEvents, byStore: result.totals.ackedEvents }
        : await countStored(join(dataDir, 'events.sqlite'), config.FLEET_TZ);
    const t = result.totals;
    const problems: string[] = [];
    if (t.unackedAtEnd > 0) problems.push(`${t.unackedAtEnd} events never acked`);
    if (t.unexpectedAcks > 0) problems.push(`${t.unexpectedAcks} duplicate or unknown acks`);
    if (t.rejectedEvents > 0) problems.push(`${t.rejectedEvents} events rejected`);
    if (t.publishErrors > 0) problems.push(`${t.publishErrors} publish errors`);
    if (t.unexpectedDisconnects > 0) problems.push(`${t.unexpectedDisconnects} disconnects`);
    if (counted.rows !== t.ackedEvents) problems.push(`store holds ${counted.rows} events, ${t.ackedEvents} were acked`);
    if (counted.distinct !== counted.rows) problems.push(`store holds ${counted.rows - counted.distinct} duplicate ids`);
    if (counted.byStore !== counted.rows)
      problems.push(`the store's daily counts say ${counted.byStore}, its rows ${counted.rows}`);
    if (t.sentEvents !== t.ackedEvents + t.rejectedEvents + t.unackedAtEnd)
      problems.push(`sent ${t.sentEvents} ≠ acked + rejected + unacked`);
    if (ingestStats.duplicates > 0) problems.push(`collector saw ${ingestStats.duplicates} duplicates`);
    if (ingestStats.shed > 0) problems.push(`collector shed ${ingestStats.shed} events`);
    if (ingestStats.storeErrors > 0) problems.push(`${ingestStats.storeErrors} store errors`);
    if (!window) throw new Error('the measurement window never closed');
    return {
      scenario,
      run,
      generator: result,
      platform: window,
      ingest: ingestStats,
      verification: {
        ok: problems.length === 0,
        storeCount: counted.rows,
        storeDistinctIds: counted.distinct,
        countedByStore: counted.byStore,
        problems,
      },
      profile,
    };
  } finally {
    await platform?.stop();
    await mosquitto?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const nullIfNaN = (n: number) => (Number.isNaN(n) ? null : n);

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
const ms = (n: number) => (n < 10 ? fmt(n, 1) : fmt(n));

function loadColumn(r: RunResult): string {
  const { load } = r.scenario;
  return load.kind === 'closed'
    ? `${load.eventsPerMessage} ev/msg, ≤ ${load.window} unacked/machine`
    : `${load.eventsPerMessage} ev/msg, ${fmt(load.ratePerSecond)} ev/s offered`;
}

function resultsTable(results: RunResult[]): string {
  const lines = [
    '| scenario | run | load | acked events/s | messages/s | latency p50 / p90 / p99 / max (ms) | platform CPU, cores (main thread) | platform loop busy | generator CPU (cores) | platform RSS peak | stored = acked |',
    '|---|---:|---|---:|---:|---|---:|---:|---:|---:|---|',
  ];
  for (const r of results) {
    const g = r.generator;
    const l = g.latency;
    const v = r.verification;
    lines.push(
      [
        r.scenario.title,
        r.run,
        loadColumn(r),
        `**${fmt(g.windowAckedEvents / g.windowSeconds)}**`,
        fmt(g.windowSentMessages / g.windowSeconds),
        `${ms(l.p50Ms)} / ${ms(l.p90Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)}`,
        `${fmt(r.platform.cpuCores, 2)}${r.platform.mainThreadCpuCores === null ? '' : ` (${fmt(r.platform.mainThreadCpuCores, 2)})`}`,
        `${fmt(r.platform.eventLoopUtilization * 100)} %`,
        fmt(g.cpuCores, 2),
        `${fmt(r.platform.rssPeakMB)} MB`,
        v.ok ? `yes: ${fmt(v.storeCount)}` : `**NO**: ${v.problems.join('; ')}`,
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    );
  }
  return lines.join('\n');
}

function spreadTable(results: RunResult[]): string {
  const byScenario = new Map<string, RunResult[]>();
  for (const r of results) byScenario.set(r.scenario.title, [...(byScenario.get(r.scenario.title) ?? []), r]);
  const lines = [
    '| scenario | runs | acked events/s min – max | spread | p99 latency min – max (ms) |',
    '|---|---:|---|---:|---|',
  ];
  for (const runs of byScenario.values()) {
    const rates = runs.map((r) => r.generator.windowAckedEvents / r.generator.windowSeconds);
    const p99s = runs.map((r) => r.generator.latency.p99Ms);
    const lo = Math.min(...rates);
    const hi = Math.max(...rates);
    const mid = (lo + hi) / 2;
    lines.push(
      `| ${runs[0]!.scenario.title} | ${runs.length} | ${fmt(lo)} – ${fmt(hi)} | ±${fmt(((hi - lo) / 2 / mid) * 100, 1)} % | ${ms(Math.min(...p99s))} – ${ms(Math.max(...p99s))} |`,
    );
  }
  return lines.join('\n');
}

function detailLines(results: RunResult[]): string {
  return results
    .map((r) => {
      const g = r.generator;
      const p = r.platform;
      return (
        `- ${r.scenario.title}, run ${r.run}: collector stored ${fmt(p.storedPerSecond)} ev/s, received ${fmt(p.messagesInPerSecond)} msg/s, ` +
        `sent ${fmt(p.acksSentPerSecond)} acks/s` +
        (p.mainThreadCpuCores !== null && p.storedPerSecond > 0
          ? `; platform CPU per event stored ${fmt((p.mainThreadCpuCores * 1e6) / p.storedPerSecond, 1)} µs on the main thread + ` +
            `${fmt(((p.cpuCores - p.mainThreadCpuCores) * 1e6) / p.storedPerSecond, 1)} µs on others`
          : '') +
        (p.io
          ? ` (per event stored: ${fmt(p.io.readSyscallsPerEvent, 1)} read and ${fmt(p.io.writeSyscallsPerEvent, 1)} write syscalls, ${fmt(p.io.diskBytesPerEvent / 1024, 1)} KiB to disk)`
          : '') +
        (p.brokerCpuCores !== null ? `; Mosquitto used ${fmt(p.brokerCpuCores, 2)} cores` : '') +
        `; machines received ${fmt(g.windowAckMessages / g.windowSeconds)} ack messages/s; ` +
        `generator loop busy ${fmt(g.eventLoopUtilization * 100)} %; totals sent ${fmt(g.totals.sentEvents)}, acked ${fmt(g.totals.ackedEvents)}, ` +
        `drained in ${fmt(g.drainMs)} ms` +
        (r.scenario.load.kind === 'open'
          ? `; schedule lag max ${ms(g.maxScheduleLagMs)} ms, skipped ${fmt(g.skippedEvents)}`
          : '') +
        `; latency mean ${ms(g.latency.meanMs)} ms, p99.9 ${ms(g.latency.p999Ms)} ms.`
      );
    })
    .join('\n');
}

function environment(options: Options): string {
  const cpus = os.cpus();
  return [
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ` +
      `Node ${process.version}, ${os.type()} ${os.release()}.`,
    `${options.machines} machines; warm-up ${options.warmupMs / 1000} s, measured ${options.measureMs / 1000} s; SQLite synchronous=${options.synchronous}, WAL` +
      (options.profile ? '; **the V8 profiler was on: figures are lower than without it**' : '') +
      '.',
  ].join('\n');
}

const rateOf = (r: RunResult) => r.generator.windowAckedEvents / r.generator.windowSeconds;

/** Ratios of the median rates of scenario pairs measured in this invocation. */
function ratiosTable(results: RunResult[], cliRuns: CliWireResult[]): string | null {
  const median = (name: ScenarioName) => {
    const rates = results
      .filter((r) => r.scenario.name === name)
      .map(rateOf)
      .sort((a, b) => a - b);
    return rates.length === 0 ? null : rates[Math.floor((rates.length - 1) / 2)]!;
  };
  const pairs: [string, ScenarioName, ScenarioName][] = [
    ['platform (aedes) ÷ wire limit, one event per message', 'single', 'wire'],
    ['platform via Mosquitto ÷ wire limit, one event per message', 'mosquitto', 'wire'],
    ['platform (aedes) ÷ platform via Mosquitto, one event per message', 'single', 'mosquitto'],
    ['platform (aedes) ÷ platform via Mosquitto, batched', 'batch', 'mosquitto-batch'],
    ['platform (aedes) batched ÷ wire limit (events/s)', 'batch', 'wire'],
  ];
  // With other work on the machine, runs a minute apart differ more than scenarios do: the ratio of
  // the two scenarios' runs of the same repeat (seconds apart) is shown beside the medians'.
  const rateIn = (name: ScenarioName, run: number) => {
    const r = results.find((x) => x.scenario.name === name && x.run === run);
    return r ? rateOf(r) : null;
  };
  const runs = [...new Set(results.map((r) => r.run))];
  const lines = [
    '| ratio of acked events/s | numerator | denominator | ratio | ratio in each repeat |',
    '|---|---:|---:|---:|---|',
  ];
  for (const [title, a, b] of pairs) {
    const x = median(a);
    const y = median(b);
    const each = runs.flatMap((run) => {
      const [xr, yr] = [rateIn(a, run), rateIn(b, run)];
      return xr !== null && yr !== null ? [fmt(xr / yr, 2)] : [];
    });
    if (x !== null && y !== null) lines.push(`| ${title} | ${fmt(x)} | ${fmt(y)} | **${fmt(x / y, 2)}** | ${each.join(' · ')} |`);
  }
  const cli = cliRuns.map((r) => r.perSecond).sort((a, b) => a - b)[Math.floor((cliRuns.length - 1) / 2)];
  if (cli !== undefined)
    for (const [title, a] of [
      ['platform (aedes), one event per message ÷ mosquitto_pub → mosquitto_sub', 'single'],
      ['platform via Mosquitto, one event per message ÷ mosquitto_pub → mosquitto_sub', 'mosquitto'],
      ['wire limit round trip (Mosquitto + echo) ÷ mosquitto_pub → mosquitto_sub', 'wire'],
    ] as const) {
      const x = median(a);
      if (x !== null) lines.push(`| ${title} | ${fmt(x)} | ${fmt(cli)} | **${fmt(x / cli, 2)}** | |`);
    }
  return lines.length > 2 ? lines.join('\n') : null;
}

function liveTable(results: RunResult[]): string | null {
  const live = results.filter((r) => r.generator.live);
  if (live.length === 0) return null;
  const lines = [
    '| scenario | run | events published in window | received in a push | pushes/s | publish → push p50 / p90 / p99 / max (ms) | publish → ack p50 / p99 (ms) |',
    '|---|---:|---:|---:|---:|---|---|',
  ];
  for (const r of live) {
    const l = r.generator.live!;
    const a = r.generator.latency;
    lines.push(
      `| ${r.scenario.title} | ${r.run} | ${fmt(l.published)} | ${fmt(l.received)} | ${fmt(l.pushes / r.generator.windowSeconds, 1)} | ` +
        `${ms(l.latency.p50Ms)} / ${ms(l.latency.p90Ms)} / **${ms(l.latency.p99Ms)}** / ${ms(l.latency.maxMs)} | ${ms(a.p50Ms)} / ${ms(a.p99Ms)} |`,
    );
  }
  return lines.join('\n');
}

function cliTable(runs: CliWireResult[]): string {
  return [
    '| wire limit, one way: `mosquitto_pub -q 1 -l` → Mosquitto → `mosquitto_sub -q 1 -C N` | run | publishers | messages received | seconds | messages/s | Mosquitto CPU (cores) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r, i) =>
        `| ${r.publishers} publisher${r.publishers > 1 ? 's' : ''}, one subscriber, ${fmt(r.messages)} event-sized messages | ${i + 1} | ${r.publishers} | ${fmt(r.received)} | ${fmt(r.seconds, 2)} | **${fmt(r.perSecond)}** | ${fmt(r.mosquittoCpuCores, 2)} |`,
    ),
  ].join('\n');
}

function replayTable(runs: ReplayBenchResult[]): string {
  return [
    "| replay | run | machines | events acked | seconds, child start → last ack | seconds, replay's own clock | events/s | replay CPU (s) | platform CPU (s) | platform RSS peak | stored = acked |",
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...runs.map(
      (r, i) =>
        `| \`kiosk-fleet replay --year ${r.year}\` | ${i + 1} | ${r.machines} | ${fmt(r.acked)} | **${fmt(r.wallSeconds, 1)}** | ${fmt(r.replaySeconds, 1)} | ${fmt(r.eventsPerSecond)} | ` +
        `${fmt(r.replayCpuSeconds, 1)} | ${fmt(r.platformCpuSeconds, 1)} | ${fmt(r.platformRssPeakMB)} MB | ${r.ok ? `yes: ${fmt(r.storedRows)}` : `**NO**: ${r.problems.join('; ')}`} |`,
    ),
  ].join('\n');
}

function report(results: RunResult[], cliRuns: CliWireResult[], replays: ReplayBenchResult[], options: Options): string {
  const parts = [environment(options), ''];
  if (results.length > 0) parts.push(resultsTable(results), '');
  if (replays.length > 0) parts.push(replayTable(replays), '');
  if (options.repeat > 1) parts.push(spreadTable(results), '');
  if (cliRuns.length > 0) parts.push(cliTable(cliRuns), '');
  const ratios = ratiosTable(results, cliRuns);
  if (ratios) parts.push(ratios, '');
  const live = liveTable(results);
  if (live) parts.push(live, '');
  parts.push(detailLines(results), '');
  for (const r of results) if (r.profile) parts.push(formatProfile(r.profile, `${r.scenario.title}, run ${r.run}`));
  return parts.join('\n');
}

async function writeDoc(text: string): Promise<void> {
  const doc = await readFile(DOC, 'utf8');
  const begin = doc.indexOf(RESULTS_BEGIN);
  const end = doc.indexOf(RESULTS_END);
  if (begin < 0 || end < begin) throw new Error(`${DOC} has no ${RESULTS_BEGIN} … ${RESULTS_END} section`);
  await writeFile(DOC, `${doc.slice(0, begin + RESULTS_BEGIN.length)}\n${text}\n${doc.slice(end)}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const results: RunResult[] = [];
  const cliRuns: CliWireResult[] = [];
  const replays: ReplayBenchResult[] = [];
  for (let run = 1; run <= options.repeat; run++) {
    if (options.scenarios.includes('wire-cli')) {
      process.stderr.write(`wire limit, mosquitto_pub -l → mosquitto_sub (run ${run}/${options.repeat}) …\n`);
      const r = await runCliWire(options.cliMessages, 20, options.generators);
      process.stderr.write(
        `  ${fmt(r.received)} of ${fmt(r.messages)} messages in ${fmt(r.seconds, 2)} s: ${fmt(r.perSecond)} msg/s\n`,
      );
      cliRuns.push(r);
    }
    if (options.scenarios.includes('replay')) {
      process.stderr.write(`replay --year ${options.replayYear}, 70 machines (run ${run}/${options.repeat}) …\n`);
      const r = await runReplayBench(options.replayYear, 70, options.synchronous);
      process.stderr.write(
        `  ${fmt(r.acked)} events in ${fmt(r.wallSeconds, 1)} s (${fmt(r.eventsPerSecond)} ev/s); ${r.ok ? 'store = acked' : `PROBLEMS: ${r.problems.join('; ')}`}` +
          (r.otherRows.length > 0 ? `; other events stored: ${r.otherRows.map((o) => `${o.type} ${o.n}`).join(', ')}` : '') +
          '\n',
      );
      replays.push(r);
    }
    for (const scenario of scenariosOf(options)) {
      process.stderr.write(`${scenario.title} (run ${run}/${options.repeat}) …\n`);
      const result = await runScenario(scenario, run, options);
      const g = result.generator;
      process.stderr.write(
        `  ${fmt(g.windowAckedEvents / g.windowSeconds)} events acked/s, p99 ${ms(g.latency.p99Ms)} ms, ` +
          `platform ${fmt(result.platform.cpuCores, 2)} cores; ${result.verification.ok ? 'store = acked' : `PROBLEMS: ${result.verification.problems.join('; ')}`}\n`,
      );
      results.push(result);
    }
  }
  const text = report(results, cliRuns, replays, options);
  process.stdout.write(`${text}\n`);
  if (options.write) {
    await writeDoc(text);
    process.stderr.write(`results written to ${DOC}\n`);
  }
  if (results.some((r) => !r.verification.ok) || replays.some((r) => !r.ok)) process.exitCode = 1;
  if (options.floor > 0) {
    const saturatedSingles = results.filter((r) => r.scenario.name === 'single');
    for (const r of saturatedSingles) {
      if (rateOf(r) < options.floor) {
        process.stderr.write(
          `FAIL: ${r.scenario.title} acked ${fmt(rateOf(r))} events/s, below the floor of ${fmt(options.floor)}\n`,
        );
        process.exitCode = 1;
      }
    }
    if (saturatedSingles.length === 0) {
      process.stderr.write('FAIL: --floor needs the single scenario\n');
      process.exitCode = 1;
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
