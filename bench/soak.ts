/**
 * `npm run soak`: the platform under random machine churn for a while (10 minutes by default),
 * outside CI. The whole platform runs in this process (embedded broker, collector with its spool,
 * dashboard, SQLite); a simulated fleet connects through a TCP proxy that resets a random share
 * of the machines' connections every few seconds, and the whole fleet is stopped and started
 * again (its outbox on disk) every two minutes. At the end, every generated event must be stored
 * exactly once, and the heap after a GC must not have grown more than `--max-drift` percent (10 by
 * default) from its level after warm-up (by default the second and third minutes).
 *
 *   npm run soak -- [--duration 10m] [--warmup 2m] [--max-drift 10] [--machines 100] [--days 30]
 *                   [--churn-every 5] [--churn-share 0.1]
 *   npm run soak:hour   (--duration 1h --warmup 5m --max-drift 5)
 *
 * `--minutes N` is kept as another way to say `--duration Nm`.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createLogger } from '../cli/logger.js';
import { REFERENCE_DIR, REFERENCE_MACHINE_COUNT, startPlatform } from '../platform/index.js';
import { ensureSimulatedCredentials } from '../platform/sim-credentials.js';
import type { EventRecord } from '../collector/store/event-store.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../config/config.js';
import { KIOSK_EVENT_TYPES } from '../protocol/events.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../simulator/fleet.js';
import { loadCirculationProfile } from '../simulator/profile.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    minutes: { type: 'string' },
    warmup: { type: 'string' },
    'max-drift': { type: 'string', default: '10' },
    machines: { type: 'string', default: '100' },
    days: { type: 'string', default: '30' },
    'churn-every': { type: 'string', default: '5' },
    'churn-share': { type: 'string', default: '0.1' },
  },
});
/** `90s`, `10m`, `1h` (a bare number is minutes) in milliseconds. */
function durationOf(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(text);
  if (!match) throw new Error(`--${what} must be a duration such as 90s, 10m or 1h, not "${text}"`);
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] || 'm') as 's' | 'm' | 'h'];
}
const durationMs = durationOf(args.duration ?? args.minutes ?? '10m', 'duration');
/** The heap's level after warm-up is the median of the samples of the `warmupMs` after the first half of it. */
const warmupMs = args.warmup === undefined ? Math.min(120_000, durationMs / 4) : durationOf(args.warmup, 'warmup');
if (warmupMs * 2 >= durationMs) throw new Error('--warmup must be less than half of --duration');
const machineCount = Number(args.machines);
const simulatedMs = Number(args.days) * 86_400_000;
const churnEveryMs = Number(args['churn-every']) * 1000;
const churnShare = Number(args['churn-share']);
const FLEET_RESTART_MS = 120_000;
const MEMORY_SAMPLE_MS = 10_000;
const MAX_DRIFT = Number(args['max-drift']) / 100;

const gc = (globalThis as { gc?: () => void }).gc;
const log = (message: string, figures: Record<string, unknown> = {}) =>
  console.log(
    `${new Date().toISOString().slice(11, 19)} ${message}`,
    Object.keys(figures).length > 0 ? JSON.stringify(figures) : '',
  );

/** Between machines and broker: `churn` resets a random share of the live connections. */
async function startChurnProxy(upstreamPort: number) {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    for (const socket of pair) {
      socket.on('error', () => {});
      socket.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    churn(share: number): number {
      let reset = 0;
      for (const pair of pairs) {
        if (Math.random() < share) {
          pair[0].resetAndDestroy();
          reset += 1;
        }
      }
      return reset;
    },
    async stop() {
      for (const [client] of pairs) client.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  if (!gc) log('note: run with node --expose-gc (npm run soak does) for heap figures after a GC');
  const dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-soak-'));
  const config = parseConfig({
    ...LOOPBACK_SETTINGS,
    DATA_DIR: dataDir,
  });
  const platform = await startPlatform(config, createLogger('silent'));
  const f = platform.foundation;
  const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), machineCount);
  const tokens = await ensureSimulatedCredentials(f.registry, kiosks, f.paths.simCredentials);
  const proxy = await startChurnProxy(platform.broker!.port);
  const profile = loadCirculationProfile(
    join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
    join(REFERENCE_DIR, 'fault-catalogue.csv'),
    REFERENCE_MACHINE_COUNT,
  );
  // The ids generated are kept off the JS heap (in SQLite), so they do not count as the platform's drift.
  const ledger = new Database(join(dataDir, 'soak-ledger.sqlite'));
  ledger.pragma('journal_mode = WAL');
  ledger.pragma('synchronous = OFF');
  ledger.exec('CREATE TABLE generated (id TEXT PRIMARY KEY)');
  const remember = ledger.prepare<[string]>('INSERT OR IGNORE INTO generated (id) VALUES (?)');
  const rememberAll = ledger.transaction((ids: readonly string[]) => ids.forEach((id) => remember.run(id)));
  const generatedCount = () => (ledger.prepare('SELECT COUNT(*) AS n FROM generated').get() as { n: number }).n;
  // Simulated time runs from `days` ago and reaches the present when the soak ends.
  const realStartMs = Date.now();
  const simStartMs = realStartMs - simulatedMs;
  const speed = simulatedMs / durationMs;
  const simNow = () => simStartMs + (Date.now() - realStartMs) * speed;
  const startFleet = async (): Promise<SimulatedFleet> => {
    const fleet = createSimulatedFleet({
      brokerUrl: `mqtt://127.0.0.1:${proxy.port}`,
      topics: f.topics,
      kiosks,
      credentials: (id) => (tokens[id] ? { username: id, password: tokens[id] } : undefined),
      dataDir: f.paths.simulator,
      clock: { startMs: Math.min(simNow(), Date.now()), speed },
      profile,
      timeZone: config.FLEET_TZ,
      batchSize: 20,
      tickMs: 500,
      keepaliveSec: 10,
      ackTimeoutMs: 5_000,
      reconnectPeriodMs: 1_000,
      startStaggerMs: 2,
      logger: createLogger('silent'),
      onGenerated: (_kioskId, events) => rememberAll(events.map((e) => e.id)),
    });
    await fleet.start();
    return fleet;
  };

  let fleet = await startFleet();
  const memory: { atMs: number; heapUsed: number; rss: number }[] = [];
  let resets = 0;
  let fleetRestarts = 0;
  let nextChurnMs = Date.now() + churnEveryMs;
  let nextRestartMs = Date.now() + FLEET_RESTART_MS;
  let nextSampleMs = Date.now() + MEMORY_SAMPLE_MS;
  log('soak started', {
    minutes: durationMs / 60_000,
    warmupMinutes: warmupMs / 60_000,
    maxDriftPercent: MAX_DRIFT * 100,
    machines: machineCount,
    simulatedDays: simulatedMs / 86_400_000,
  });
  while (Date.now() - realStartMs < durationMs) {
    await delay(250);
    const nowMs = Date.now();
    if (nowMs >= nextChurnMs) {
      resets += proxy.churn(churnShare);
      nextChurnMs = nowMs + churnEveryMs;
    }
    if (nowMs >= nextRestartMs) {
      await fleet.stop();
      fleet = await startFleet();
      fleetRestarts += 1;
      nextRestartMs = nowMs + FLEET_RESTART_MS;
    }
    if (nowMs >= nextSampleMs) {
      gc?.();
      const { heapUsed, rss } = process.memoryUsage();
      memory.push({ atMs: nowMs - realStartMs, heapUsed, rss });
      const stats = platform.collector.ingest.stats();
      log('sample', {
        heapMB: +(heapUsed / 2 ** 20).toFixed(1),
        rssMB: +(rss / 2 ** 20).toFixed(1),
        generated: generatedCount(),
        stored: stats.eventsStored,
        duplicates: stats.duplicates,
        pending: fleet.pendingCount(),
        resets,
        // The two fleet-health structures that grow with connection churn (see docs/benchmarks.md).
        healthEntries: platform.fleetHealth.health.historySize(),
        alerts: platform.fleetHealth.health.alerts().length,
      });
      nextSampleMs = nowMs + MEMORY_SAMPLE_MS;
    }
  }

  log('churn over; waiting for every outbox to empty');
  const settleStart = Date.now();
  while (fleet.pendingCount() > 0 && Date.now() - settleStart < 120_000) await delay(500);
  await platform.collector.ingest.drain();
  await fleet.stop();

  const stored: EventRecord[] = [];
  let after: { tsMs: number; id: string } | undefined;
  for (;;) {
    const page = await platform.store.readEvents({ limit: 10_000, ...(after ? { after } : {}) });
    stored.push(...page.filter((r) => (KIOSK_EVENT_TYPES as readonly string[]).includes(r.type)));
    if (page.length < 10_000) break;
    after = { tsMs: page.at(-1)!.tsMs, id: page.at(-1)!.id };
  }
  const generated = new Set(ledger.prepare<[], { id: string }>('SELECT id FROM generated').pluck().all() as unknown as string[]);
  ledger.close();
  const storedIds = new Set(stored.map((r) => r.id));
  const missing = [...generated].filter((id) => !storedIds.has(id)).length;
  const unexpected = stored.filter((r) => !generated.has(r.id)).length;
  const duplicates = stored.length - storedIds.size;

  // After warm-up: the samples from half the warm-up to one and a half (the second and third
  // minutes by default); end: the samples of the last warm-up's length. Medians, so one GC
  // landing late does not decide the figure.
  const base = median(memory.filter((m) => m.atMs >= warmupMs / 2 && m.atMs < warmupMs * 1.5).map((m) => m.heapUsed));
  const end = median(memory.filter((m) => m.atMs >= durationMs - warmupMs).map((m) => m.heapUsed));
  const drift = (end - base) / base;
  const ingest = platform.collector.ingest.stats();
  const result = {
    minutes: durationMs / 60_000,
    machines: machineCount,
    connectionResets: resets,
    fleetRestarts,
    generated: generated.size,
    stored: stored.length,
    missing,
    unexpected,
    duplicates,
    redeliveriesDeduplicated: ingest.duplicates,
    heapAfterWarmupMB: +(base / 2 ** 20).toFixed(1),
    heapEndMB: +(end / 2 ** 20).toFixed(1),
    heapDriftPercent: +(drift * 100).toFixed(1),
    maxDriftPercent: MAX_DRIFT * 100,
    peakRssMB: +(Math.max(...memory.map((m) => m.rss)) / 2 ** 20).toFixed(1),
  };
  const passed = missing === 0 && unexpected === 0 && duplicates === 0 && drift <= MAX_DRIFT;
  log(passed ? 'SOAK PASSED' : 'SOAK FAILED', result);

  await proxy.stop();
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(passed ? 0 : 1);
}

await main();
