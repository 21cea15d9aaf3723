import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createKioskAgent, type CommandAnswer, type KioskAgent } from '../agent/kiosk-agent.js';
import type { Outbox } from '../agent/outbox.js';
import { createCalendar } from '../time/calendar.js';
import type { KioskCommand } from '../protocol/commands.js';
import type { KioskEvent } from '../protocol/events.js';
import type { KioskId, Topics } from '../protocol/topics.js';
import type { KioskRecord } from '../registry/kiosk.js';
import { inspectionsBetween } from './crew-rounds.js';
import { createActivityState, generateActivity, issueEvent, type ActivityState, type SilentFailure } from './generate.js';
import { applyActivity, createHealthState, readTelemetry } from './health.js';
import { timestampFormatterFor } from './local-timestamp.js';
import type { ActivityProfile } from './profile.js';
import { createRng, deriveSeed } from './random.js';
import type { SimClock } from './sim-clock.js';

export type CredentialsProvider = (kioskId: KioskId) => { username: string; password: string } | undefined;

export interface MachineOptions {
  kiosk: KioskRecord;
  brokerUrl: string;
  topics: Topics;
  credentials?: CredentialsProvider | undefined;
  outbox: Outbox;
  clock: SimClock;
  profile: ActivityProfile;
  timeZone: string;
  seed: number;
  /** Events per message: 1 sends one event object, more send arrays of up to this many. */
  batchSize: number;
  /** Sent events unacked for this long are sent again. */
  ackTimeoutMs: number;
  tickMs: number;
  telemetryIntervalMs: number;
  keepaliveSec: number;
  reconnectPeriodMs: number;
  /** Most events published per tick; the rest wait for the next one. */
  maxEventsPerFlush: number;
  firmware: string;
  logger: Logger;
  now: () => number;
  /** Where silent failures are recorded (the simulation's truth file), if anywhere. */
  recordSilentFailures?: ((failures: readonly SilentFailure[]) => void) | undefined;
}

export interface SimulatedMachine {
  readonly kioskId: KioskId;
  /** Random per process start; carried by the status messages and in every event id. */
  readonly bootId: string;
  start(): void;
  /** Publishes a retained `offline` status (reason `shutdown`), then disconnects cleanly. */
  stop(): Promise<void>;
  isOnline(): boolean;
  isLendingPaused(): boolean;
  /** The simulated instant up to which activity has been generated, epoch ms. */
  generatedUntilMs(): number;
  /** A courier has placed a reserved book in the machine: it reports `reservation_delivered`. */
  deliverReservation(reservationId: string, atMs: number): void;
}

/** What survives a restart, stored with the events in the outbox (validated when read back). */
const progressSchema = z.object({
  lastSimMs: z.number(),
  isLendingPaused: z.boolean(),
  openFaults: z.array(z.object({ faultId: z.string(), code: z.string(), clearAtMs: z.number(), isBlockingLending: z.boolean() })),
});

/**
 * One kiosk: calibrated activity on a simulated clock. Everything on the wire (connection, Last
 * Will, outbox, acks, commands) is the kiosk agent's, as on a real machine.
 */
export function createSimulatedMachine(options: MachineOptions): SimulatedMachine {
  const o = options;
  const kioskId = o.kiosk.id;
  const bootId = randomBytes(6).toString('hex');
  const log = o.logger.child({ kioskId, bootId });
  const format = timestampFormatterFor(o.timeZone);
  const calendar = createCalendar(o.timeZone);
  const rng = createRng(deriveSeed(o.seed, kioskId));
  const saved = progressSchema.safeParse(o.outbox.loadProgress(kioskId));
  let lastSimMs = Math.max(o.clock.startMs, saved.success ? saved.data.lastSimMs : Number.NEGATIVE_INFINITY);
  let activity: ActivityState = createActivityState(
    bootId,
    saved.success
      ? { openFaults: saved.data.openFaults, isLendingPaused: saved.data.isLendingPaused }
      : { isLendingPaused: o.kiosk.lifecycle === 'paused' || o.kiosk.lifecycle === 'withdrawn' },
  );
  let health = createHealthState(o.kiosk.capacityBooks ?? 400, rng);
  const timers: NodeJS.Timeout[] = [];

  const progress = () => ({ lastSimMs, isLendingPaused: activity.isLendingPaused, openFaults: activity.openFaults });
  const simNowMs = () => Math.max(lastSimMs, Math.floor(o.clock.now(o.now())));

  const agent: KioskAgent = createKioskAgent({
    kioskId,
    brokerUrl: o.brokerUrl,
    topics: o.topics,
    credentials: o.credentials?.(kioskId),
    outbox: o.outbox,
    timestamp: () => format(simNowMs()),
    bootId,
    firmware: o.firmware,
    onCommand: applyCommand,
    // A first reading at once, so the platform need not wait an interval.
    onOnline: () => publishTelemetry(),
    batchSize: o.batchSize,
    ackTimeoutMs: o.ackTimeoutMs,
    maxEventsPerFlush: o.maxEventsPerFlush,
    flushIntervalMs: o.tickMs,
    keepaliveSec: o.keepaliveSec,
    reconnectPeriodMs: o.reconnectPeriodMs,
    logger: o.logger,
    now: o.now,
  });

  function generateUpTo(untilMs: number): void {
    if (untilMs <= lastSimMs) return;
    const generated = generateActivity(o.profile, kioskId, lastSimMs, untilMs, rng, activity);
    activity = generated.state;
    o.recordSilentFailures?.(generated.silentFailures);
    const events = [...generated.events, ...crewInspections(lastSimMs, untilMs)];
    lastSimMs = untilMs;
    agent.enqueue(events, progress());
    health = applyActivity(health, events, rng);
    if (events.length > 0) log.debug({ count: events.length }, 'events generated');
  }

  /** The crew's weekly visit, reported from the machine's maintenance mode; withdrawn machines get none. */
  function crewInspections(fromMs: number, toMs: number): KioskEvent[] {
    if (o.kiosk.lifecycle === 'withdrawn') return [];
    return inspectionsBetween(kioskId, fromMs, toMs, calendar).map((visit) => {
      const issued = issueEvent(kioskId, activity, visit.atMs, visit.body, o.timeZone);
      activity = issued.state;
      return issued.event;
    });
  }

  function deliverReservation(reservationId: string, atMs: number): void {
    generateUpTo(simNowMs());
    const issued = issueEvent(
      kioskId,
      activity,
      Math.min(atMs, simNowMs()),
      { type: 'reservation_delivered', reservationId },
      o.timeZone,
    );
    activity = issued.state;
    agent.enqueue([issued.event], progress());
  }

  function tick(): void {
    try {
      generateUpTo(simNowMs());
    } catch (err) {
      log.error({ err }, 'simulator tick failed');
    }
  }

  function publishTelemetry(): void {
    agent.publishTelemetry(readTelemetry(health, format(simNowMs()), rng));
  }

  function applyCommand(command: KioskCommand): CommandAnswer {
    generateUpTo(simNowMs()); // what happened before the command happened with the old state
    if (command.type === 'pause' || command.type === 'withdraw') activity = { ...activity, isLendingPaused: true };
    else if (command.type === 'resume') activity = { ...activity, isLendingPaused: false };
    o.outbox.saveProgress(kioskId, progress());
    return command.type === 'reboot'
      ? { result: 'accepted', detail: 'a simulated machine does not reboot' }
      : { result: 'accepted' };
  }

  return Object.freeze({
    kioskId,
    bootId,
    start(): void {
      if (timers.length > 0) return;
      agent.start();
      tick();
      timers.push(setInterval(tick, o.tickMs), setInterval(publishTelemetry, o.telemetryIntervalMs));
    },
    async stop(): Promise<void> {
      timers.splice(0).forEach(clearInterval);
      await agent.stop();
    },
    isOnline: () => agent.isOnline(),
    isLendingPaused: () => activity.isLendingPaused,
    generatedUntilMs: () => lastSimMs,
    deliverReservation,
  });
}
