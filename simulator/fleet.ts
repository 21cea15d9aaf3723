import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type KioskEvent, MAX_EVENTS_PER_MESSAGE } from '../protocol/events.js';
import type { Topics } from '../protocol/topics.js';
import { kioskRecordSchema, type KioskRecord } from '../registry/kiosk.js';
import { ensurePrivateDir } from '../config/private-files.js';
import { createSimulatedMachine, type CredentialsProvider, type SimulatedMachine } from './machine.js';
import { openOutbox, type Outbox } from '../agent/outbox.js';
import type { ActivityProfile } from './profile.js';
import { createRng } from './random.js';
import { openTruthFile } from './truth-file.js';
import { simulatedNowMs, type SimClock, type SimClockOptions } from './sim-clock.js';

/** Tunables of a simulated fleet, with their defaults. */
const tunablesSchema = z.strictObject({
  /** Events per message: 1 sends one event object per message, more send arrays. */
  batchSize: z.number().int().min(1).max(MAX_EVENTS_PER_MESSAGE).default(1),
  /** Sent events not acked within this time are sent again. */
  ackTimeoutMs: z.number().int().positive().default(10_000),
  /** Real time between two rounds of generation and outbox flush. */
  tickMs: z.number().int().positive().default(1_000),
  /** Real time between two telemetry readings. */
  telemetryIntervalMs: z.number().int().positive().default(60_000),
  keepaliveSec: z.number().int().min(0).max(65_535).default(30),
  /** Reconnect period, jittered ±20 % per machine so a fleet does not reconnect in step. */
  reconnectPeriodMs: z.number().int().positive().default(2_000),
  /** Real time between two machines' starts, so 70+ clients do not connect in the same millisecond. */
  startStaggerMs: z.number().int().min(0).default(10),
  maxEventsPerFlush: z.number().int().positive().default(500),
  firmware: z.string().min(1).max(64).default('sim-1.0.0'),
  seed: z.number().int().optional(),
  timeZone: z.string().min(1).optional(),
});

export interface SimulatedFleetOptions extends Partial<z.input<typeof tunablesSchema>> {
  brokerUrl: string;
  topics: Topics;
  /** Reserve machines (spare-part stores and depots) are not started. */
  kiosks: readonly KioskRecord[];
  credentials?: CredentialsProvider;
  /** Where the fleet's outbox file (`simulator-outbox.sqlite`) and truth file (`simulator-truth.jsonl`) live. */
  dataDir: string;
  /** The simulated clock; it starts running when `start()` is called. */
  clock: SimClockOptions;
  profile: ActivityProfile;
  logger: Logger;
  /** The real clock, epoch ms; default `Date.now`. */
  now?: () => number;
  /** Called with each machine's events as they enter the outbox (fault tests compare what was stored). */
  onGenerated?: (kioskId: string, events: readonly KioskEvent[]) => void;
}

export interface SimulatedFleet {
  start(): Promise<void>;
  /** Stops every machine gracefully, then closes the outbox. */
  stop(): Promise<void>;
  readonly machines: readonly SimulatedMachine[];
  /** Events in the outbox not yet acked, over the whole fleet. */
  pendingCount(): number;
}

/** A clock whose real start is fixed by the first call to `begin`. */
function createDeferredClock(options: SimClockOptions): SimClock & { begin(realNowMs: number): void } {
  let realStartMs: number | undefined;
  return {
    startMs: options.startMs,
    speed: options.speed,
    get realStartMs() {
      return realStartMs ?? Number.NaN;
    },
    begin: (realNowMs: number) => void (realStartMs ??= realNowMs),
    now: (realNowMs: number) => simulatedNowMs({ ...options, realStartMs: realStartMs ?? realNowMs }, realNowMs),
  };
}

/** Throws a ZodError on bad tunables, a RangeError on a bad clock. */
export function createSimulatedFleet(options: SimulatedFleetOptions): SimulatedFleet {
  const {
    brokerUrl,
    topics,
    kiosks,
    credentials,
    dataDir,
    clock: clockOptions,
    profile,
    logger,
    now,
    onGenerated,
    ...rest
  } = options;
  const tunables = tunablesSchema.parse(rest);
  if (!(clockOptions.speed > 0 && Number.isFinite(clockOptions.speed))) throw new RangeError('clock.speed must be positive');
  const config = Object.freeze({
    ...tunables,
    seed: tunables.seed ?? randomInt(2 ** 31),
    timeZone: tunables.timeZone ?? profile.timeZone,
    now: now ?? Date.now,
  });
  const log = logger.bindings()['component'] === undefined ? logger.child({ component: 'simulator' }) : logger;
  ensurePrivateDir(dataDir);
  const opened = openOutbox(join(dataDir, 'simulator-outbox.sqlite'));
  const outbox: Outbox = onGenerated
    ? Object.freeze({
        ...opened,
        add(kioskId: string, events: readonly KioskEvent[], progress?: unknown) {
          const added = opened.add(kioskId, events, progress);
          if (events.length > 0) onGenerated(kioskId, events);
          return added;
        },
      })
    : opened;
  const truth = openTruthFile(dataDir);
  const clock = createDeferredClock(clockOptions);
  // Local hours of activity follow the fleet's time zone, whatever zone the profile was built in.
  const zonedProfile = config.timeZone === profile.timeZone ? profile : profile.inTimeZone(config.timeZone);
  const machines = kiosks
    .filter((kiosk) => kiosk.lifecycle !== 'reserve')
    .map((kiosk) =>
      createSimulatedMachine({
        ...config,
        kiosk,
        brokerUrl,
        topics,
        credentials,
        outbox,
        clock,
        profile: zonedProfile,
        logger: log,
        recordSilentFailures: truth.record,
      }),
    );
  let state: 'idle' | 'started' | 'stopped' = 'idle';

  return Object.freeze({
    machines,
    async start(): Promise<void> {
      if (state !== 'idle') return;
      state = 'started';
      clock.begin(config.now());
      log.info({ machines: machines.length, brokerUrl, speed: clock.speed }, 'simulated fleet starting');
      for (const machine of machines) {
        if (state !== 'started') return;
        machine.start();
        if (config.startStaggerMs > 0) await delay(config.startStaggerMs);
      }
    },
    async stop(): Promise<void> {
      if (state === 'stopped') return;
      state = 'stopped';
      await Promise.all(machines.map((machine) => machine.stop()));
      outbox.close();
      log.info('simulated fleet stopped');
    },
    pendingCount: () => outbox.count(),
  });
}

const fleetRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  name_en: z.string(),
  district: z.string(),
  district_en: z.string(),
  lat: z.coerce.number(),
  lon: z.coerce.number(),
  model: z.string(),
  installed: z.string(),
  capacity_books: z.string(),
});

function toKioskRecord(row: z.infer<typeof fleetRowSchema>): KioskRecord {
  const optional = (value: string) => (value === '' ? undefined : value);
  return kioskRecordSchema.parse({
    id: row.id,
    name: row.name,
    nameEn: optional(row.name_en),
    district: row.district,
    districtEn: optional(row.district_en),
    lat: row.lat,
    lon: row.lon,
    model: optional(row.model),
    installedOn: optional(row.installed),
    capacityBooks: row.capacity_books === '' ? undefined : Number(row.capacity_books),
  });
}

/** About ±1 km around the machine a synthetic one is modelled on. */
const SYNTHETIC_JITTER_DEGREES = 0.01;

function syntheticKiosk(base: KioskRecord, number: number, rng: () => number): KioskRecord {
  const jitter = () => (rng() * 2 - 1) * SYNTHETIC_JITTER_DEGREES;
  return kioskRecordSchema.parse({
    ...base,
    id: `SIM-${String(number).padStart(4, '0')}`,
    name: `${base.district}模拟自助图书馆 ${number}`,
    nameEn: `Simulated self-service library ${number}`,
    lat: Math.round((base.lat + jitter()) * 1e5) / 1e5,
    lon: Math.round((base.lon + jitter()) * 1e5) / 1e5,
    lifecycle: 'active',
  });
}

/**
 * The first `count` machines of reference-fleet.csv; beyond its rows, synthetic machines
 * `SIM-0071`… placed near existing ones. Deterministic.
 */
export function loadReferenceFleet(csvPath: string, count: number): KioskRecord[] {
  const rows: Record<string, string>[] = parse(readFileSync(csvPath, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
  });
  const reference = rows.map((row) => toKioskRecord(fleetRowSchema.parse(row)));
  if (reference.length === 0) throw new RangeError(`no machines in ${csvPath}`);
  const rng = createRng(2023);
  const fleet = reference.slice(0, count);
  for (let number = reference.length + 1; number <= count; number++) {
    fleet.push(syntheticKiosk(reference[(number - 1) % reference.length]!, number, rng));
  }
  return fleet;
}
