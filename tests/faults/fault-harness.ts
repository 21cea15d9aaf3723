import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { type Foundation, openFoundation, REFERENCE_DIR, REFERENCE_MACHINE_COUNT } from '../../platform/index.js';
import { ensureSimulatedCredentials } from '../../platform/sim-credentials.js';
import type { EventRecord, EventStore } from '../../collector/store/event-store.js';
import type { IngestStats } from '../../collector/ingest.js';
import { parseConfig } from '../../config/config.js';
import { KIOSK_EVENT_TYPES } from '../../protocol/events.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../../simulator/fleet.js';
import { loadCirculationProfile } from '../../simulator/profile.js';
import { type AppendLog, deliveryVerdict, type DeliveryVerdict, sqliteInsertOrder } from '../support/delivery-check.js';
import type { MqttTap } from '../support/mqtt-tap.js';

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
  const f = await openFoundation(config, createLogger('silent'));
  const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), base.kiosks);
  const tokens = await ensureSimulatedCredentials(f.registry, kiosks, f.paths.simCredentials);
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
      await f.registry.close();
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
  /** What each machine sent (on the wire) against what the store received for it, and the acks. */
  delivery: DeliveryVerdict;
  loansAndReturnsStored: number;
  loansAndReturnsCounted: number;
}

/**
 * Compares the store with what the machines generated (ids, monthly counts) and, through the tap
 * and the store file's insert order, with what each machine sent: stored in an order it sent,
 * every event acked, nothing acked that is not stored.
 */
export async function verdictOf(
  store: EventStore,
  generated: ReadonlyMap<string, GeneratedEvent>,
  wire: { tap: MqttTap; storeFile: string },
): Promise<Verdict> {
  const events = await readMachineEvents(store);
  const ids = events.map((e) => e.id);
  const storedSet = new Set(ids);
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
    delivery: deliveryVerdict({ sent: wire.tap.sent, inserted: sqliteInsertOrder(wire.storeFile), acked: wire.tap.acked }),
    loansAndReturnsStored: events.filter((e) => e.type === 'loan' || e.type === 'return').length,
    loansAndReturnsCounted: counts.reduce((sum, row) => sum + row.count, 0),
  };
}

/** Every event sent is stored, once, acked, and counted once in the monthly rollup. */
export function expectExactlyOnce(verdict: Verdict): void {
  expect(verdict.missing).toEqual([]);
  expect(verdict.unexpected).toEqual([]);
  expect(verdict.stored).toBe(verdict.generated);
  expect(verdict.delivery.sent).toBe(verdict.generated);
  expect(verdict.delivery.missing).toEqual([]);
  expect(verdict.delivery.unexpected).toEqual([]);
  expect(verdict.delivery.unacked).toEqual([]);
  expect(verdict.delivery.ackedNotStored).toEqual([]);
  expect(verdict.loansAndReturnsCounted).toBe(verdict.loansAndReturnsStored);
}

/** Exactly once, and each machine's events stored in an order it sent them. */
export function expectExactlyOnceInOrder(verdict: Verdict): void {
  expectExactlyOnce(verdict);
  expect(verdict.delivery.machinesOutOfOrder).toEqual([]);
}

/**
 * Exactly once, from the in-process collector's counters against the appends it made: each
 * insert counted once, each redelivery counted as a duplicate, and the machine events it counted
 * as stored exactly the events the machines sent.
 */
export function expectCountersExactlyOnce(stats: IngestStats, appends: AppendLog, verdict: Verdict): void {
  const machineInserted = [...appends.inserted.values()].reduce((sum, list) => sum + list.length, 0);
  expect(machineInserted).toBe(verdict.delivery.sent);
  expect(stats.eventsStored).toBe(appends.insertedAll);
  expect(stats.eventsStored - (appends.insertedAll - machineInserted)).toBe(verdict.generated);
  expect(stats.duplicates).toBe(appends.duplicatesAll);
  expect(appends.askedMachineEvents).toBeGreaterThanOrEqual(verdict.generated);
}
