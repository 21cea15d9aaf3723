import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLogger } from '../../cli/logger.js';
import { type Foundation, openFoundation, REFERENCE_DIR, REFERENCE_MACHINE_COUNT } from '../../cli/platform.js';
import { ensureSimulatedCredentials } from '../../cli/sim-credentials.js';
import type { EventRecord, EventStore } from '../../collector/store/event-store.js';
import { parseConfig } from '../../config/config.js';
import { KIOSK_EVENT_TYPES } from '../../protocol/events.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../../simulator/fleet.js';
import { loadCirculationProfile } from '../../simulator/profile.js';

/** A free TCP port on 127.0.0.1 (closed again at once, so a child process can listen on it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Child {
  process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) and the time it took since `since`. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
}

/** Runs `kiosk-fleet <command>` as a child process; resolves once a line contains `readyText`. */
export async function spawnCli(command: string, env: Record<string, string>, readyText: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', command], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line);
      if (line.includes(readyText)) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`${command} exited early with ${code}: ${output.slice(-5).join('\n')}`)));
  });
  return { process: child, exited, output };
}

export interface FaultFleetOptions {
  kiosks: number;
  /** Simulated time generated (then the fleet runs in real time). */
  simulatedMs: number;
  /** Real time the backlog takes to generate. */
  realMs: number;
  keepaliveSec?: number;
  ackTimeoutMs?: number;
  batchSize?: number;
  /** Machines the reference circulation is shared among: fewer, and each one is busier. */
  machineCount?: number;
}

export interface GeneratedEvent {
  kioskId: string;
  tsMs: number;
}

export interface FaultWorld {
  dataDir: string;
  f: Foundation;
  /** Every event the machines generated (put in their outboxes), by id. */
  generated: Map<string, GeneratedEvent>;
  startFleet(brokerUrl: string, options?: Partial<FaultFleetOptions>): Promise<SimulatedFleet>;
  cleanup(): Promise<void>;
}

/** A data directory with a registry, secrets and credentials for `kiosks` simulated machines. */
export async function createFaultWorld(base: FaultFleetOptions): Promise<FaultWorld> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-fault-'));
  const config = parseConfig({
    HOST: '127.0.0.1',
    // A free port: fault tests that start the embedded broker from this world may run at once.
    MQTT_PORT: '0',
    MQTT_WS_PORT: 'off',
    DATA_DIR: dataDir,
    SIM_KIOSKS: String(base.kiosks),
    LOG_LEVEL: 'silent',
  });
  const f = openFoundation(config, createLogger('silent'));
  const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), base.kiosks);
  const tokens = ensureSimulatedCredentials(f.registry, kiosks, f.paths.simCredentials);
  const generated = new Map<string, GeneratedEvent>();
  const fleets: SimulatedFleet[] = [];
  return {
    dataDir,
    f,
    generated,
    async startFleet(brokerUrl, overrides = {}) {
      const o = { ...base, ...overrides };
      const fleet = createSimulatedFleet({
        brokerUrl,
        topics: f.topics,
        kiosks,
        credentials: (id) => (tokens[id] ? { username: id, password: tokens[id] } : undefined),
        dataDir: f.paths.simulator,
        clock: { startMs: Date.now() - o.simulatedMs, speed: o.simulatedMs / o.realMs },
        profile: loadCirculationProfile(
          join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
          join(REFERENCE_DIR, 'fault-catalogue.csv'),
          o.machineCount ?? REFERENCE_MACHINE_COUNT,
        ),
        timeZone: config.FLEET_TZ,
        batchSize: o.batchSize ?? 20,
        tickMs: 250,
        telemetryIntervalMs: 60_000,
        keepaliveSec: o.keepaliveSec ?? 30,
        ackTimeoutMs: o.ackTimeoutMs ?? 5_000,
        reconnectPeriodMs: 500,
        startStaggerMs: 2,
        logger: createLogger('silent'),
        onGenerated: (kioskId, events) => {
          for (const e of events) generated.set(e.id, { kioskId, tsMs: Date.parse(e.ts) });
        },
      });
      await fleet.start();
      fleets.push(fleet);
      return fleet;
    },
    async cleanup() {
      for (const fleet of fleets) await fleet.stop();
      f.registry.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every machine event in the store (the platform's own events left out), in history order. */
export async function readMachineEvents(store: EventStore): Promise<EventRecord[]> {
  const all: EventRecord[] = [];
  let after: { tsMs: number; id: string } | undefined;
  for (;;) {
    const page = await store.readEvents({ limit: 10_000, ...(after ? { after } : {}) });
    all.push(...page.filter((r) => (KIOSK_EVENT_TYPES as readonly string[]).includes(r.type)));
    if (page.length < 10_000) return all;
    after = { tsMs: page.at(-1)!.tsMs, id: page.at(-1)!.id };
  }
}

export interface Verdict {
  stored: number;
  generated: number;
  missing: string[];
  unexpected: string[];
  duplicates: number;
  /** Machines whose stored history is not their generated events in their own time order. */
  machinesOutOfOrder: string[];
  loansAndReturnsStored: number;
  loansAndReturnsCounted: number;
}

/** Compares the store with what the machines generated: count, ids, order, monthly counts. */
export async function verdictOf(store: EventStore, generated: ReadonlyMap<string, GeneratedEvent>): Promise<Verdict> {
  const events = await readMachineEvents(store);
  const ids = events.map((e) => e.id);
  const storedSet = new Set(ids);
  const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  // What each machine's history should read: its events, at the time it stamped them, in time order.
  const expected = new Map<string, { id: string; tsMs: number }[]>();
  for (const [id, e] of generated) push(expected, e.kioskId, { id, tsMs: e.tsMs });
  const actual = new Map<string, { id: string; tsMs: number }[]>();
  for (const e of events) push(actual, e.kioskId, { id: e.id, tsMs: e.tsMs }); // already in history order
  const byTime = (a: { id: string; tsMs: number }, b: { id: string; tsMs: number }) =>
    a.tsMs - b.tsMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const machinesOutOfOrder = [...expected]
    .filter(([kioskId, list]) => {
      const want = [...list].sort(byTime);
      const got = actual.get(kioskId) ?? [];
      return want.length !== got.length || want.some((e, i) => e.id !== got[i]?.id || e.tsMs !== got[i]?.tsMs);
    })
    .map(([kioskId]) => kioskId);
  const counts = await store.countByPeriod({
    granularity: 'month',
    fromDay: '2000-01-01',
    toDay: '2100-01-01',
    types: ['loan', 'return'],
  });
  return {
    stored: ids.length,
    generated: generated.size,
    missing: [...generated.keys()].filter((id) => !storedSet.has(id)),
    unexpected: ids.filter((id) => !generated.has(id)),
    duplicates: ids.length - storedSet.size,
    machinesOutOfOrder,
    loansAndReturnsStored: events.filter((e) => e.type === 'loan' || e.type === 'return').length,
    loansAndReturnsCounted: counts.reduce((sum, row) => sum + row.count, 0),
  };
}
