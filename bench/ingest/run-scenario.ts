/**
 * One scenario of `npm run bench`: a fresh data directory and platform (or Mosquitto and an echo
 * subscriber), the load generators, the platform's own figures over the measured window, and the
 * check that the store holds exactly the events that were acked.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createLogger } from '../../cli/logger.js';
import { openFoundation, startPlatform, type RunningPlatform } from '../../platform/index.js';
import { emptyIngestStats, type IngestStats } from '../../collector/ingest.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';
import { issueBenchToken } from '../api-token.js';
import { runGenerators } from '../generators.js';
import { type BrowserLiveProbe, findChromium, openBrowserLiveProbe } from '../browser-live.js';
import { type GeneratorResult, type LatencySummary, type MachineCredentials, type RunCommand, summarizeLatency } from '../ipc.js';
import { type EchoStats, startEchoCollector, startMosquitto } from '../mosquitto.js';
import { PlatformProfiler, type ProfileSummary } from '../profile.js';
import type { Options } from './options.js';
import type { Scenario } from './scenarios.js';

/**
 * The embedded broker's abuse limits, off: 200 machines on one address connect within a second
 * and each publishes hundreds of messages a second, far beyond what a kiosk does.
 */
const BENCH_BROKER_LIMITS = Object.freeze({ CONNECT_RATE_PER_ADDRESS: '0', PUBLISH_RATE_PER_KIOSK: '0' });

export interface PlatformWindow {
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

export interface Verification {
  ok: boolean;
  storeCount: number;
  storeDistinctIds: number;
  countedByStore: number;
  problems: string[];
}

export interface RunResult {
  scenario: Scenario;
  run: number;
  generator: GeneratorResult;
  platform: PlatformWindow;
  ingest: IngestStats;
  verification: Verification;
  profile: ProfileSummary | null;
  /** Live scenario: publish → push into a page in Chromium (null without a browser). */
  browser: { received: number; latency: LatencySummary } | null;
}

/** The machines, registered in the data directory's registry before the platform starts. */
async function provisionMachines(
  dataDir: string,
  config: ReturnType<typeof parseConfig>,
  count: number,
): Promise<MachineCredentials[]> {
  const foundation = await openFoundation(config, createLogger('silent'));
  try {
    const width = String(count).length;
    const provisioned = await foundation.registry.provisionMissing(
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
    await foundation.registry.close();
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

export async function runScenario(scenario: Scenario, run: number, options: Options): Promise<RunResult> {
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
  let browserProbe: BrowserLiveProbe | null = null;
  try {
    const machines = await provisionMachines(dataDir, config, options.machines);
    // The dashboard's live pushes need a signed-in person or an integration token.
    const liveToken = scenario.live ? await issueBenchToken(dataDir, 'operator') : undefined;
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
    const chromiumPath = live ? findChromium() : null;
    if (live && !chromiumPath) process.stderr.write('  no chromium on the PATH: live latency in a page not measured\n');
    browserProbe = live && chromiumPath ? await openBrowserLiveProbe(chromiumPath, live.url, live.token) : null;
    let windowWallMs: { start: number; end: number } | null = null;
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
        windowWallMs = { start: Date.now(), end: Number.POSITIVE_INFINITY };
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
        if (windowWallMs) windowWallMs.end = Date.now();
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
    const browser = browserProbe && windowWallMs ? browserLatency(await browserProbe.arrivals(), windowWallMs) : null;
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
      browser,
    };
  } finally {
    await browserProbe?.close();
    await platform?.stop();
    await mosquitto?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Publish → arrival in the page of the events published inside the measured window. */
function browserLatency(
  arrivals: readonly { publishedMs: number; arrivedMs: number }[],
  window: { start: number; end: number },
): { received: number; latency: LatencySummary } {
  const inWindow = arrivals.filter((a) => a.publishedMs >= window.start && a.publishedMs < window.end);
  return {
    received: inWindow.length,
    latency: summarizeLatency(Float64Array.from(inWindow, (a) => a.arrivedMs - a.publishedMs)),
  };
}

const nullIfNaN = (n: number) => (Number.isNaN(n) ? null : n);
