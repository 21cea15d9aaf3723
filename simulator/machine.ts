import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createCalendar } from '../collector/domain/calendar.js';
import { ackSchema } from '../protocol/acks.js';
import { commandSchema, type KioskCommand } from '../protocol/commands.js';
import type { KioskEvent } from '../protocol/events.js';
import type { KioskStatus } from '../protocol/status.js';
import type { KioskId, Topics } from '../protocol/topics.js';
import type { KioskRecord } from '../registry/kiosk.js';
import { inspectionsBetween } from './crew-rounds.js';
import { createActivityState, generateActivity, issueEvent, type ActivityState, type SilentFailure } from './generate.js';
import { applyActivity, createHealthState, readTelemetry } from './health.js';
import { timestampFormatterFor } from './local-timestamp.js';
import type { Outbox } from './outbox.js';
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

/** mqtt.js numbers messages with 16 bits: keep far fewer than 65,535 in flight. */
const MAX_IN_FLIGHT_MESSAGES = 1_000;
const STOP_TIMEOUT_MS = 5_000;

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One kiosk as a real MQTT client, generating calibrated activity into its on-disk outbox. */
export function createSimulatedMachine(options: MachineOptions): SimulatedMachine {
  const o = options;
  const kioskId = o.kiosk.id;
  const bootId = randomBytes(6).toString('hex');
  const log = o.logger.child({ kioskId, bootId });
  const format = timestampFormatterFor(o.timeZone);
  const calendar = createCalendar(o.timeZone);
  const topic = (channel: 'status' | 'events' | 'telemetry' | 'acks' | 'commands') => o.topics.topic(kioskId, channel);
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
  let client: MqttClient | undefined;
  let connection = 0;
  let isOnline = false;
  let inFlightMessages = 0;
  let hasWarnedOfError = false;
  const timers: NodeJS.Timeout[] = [];

  const progress = () => ({ lastSimMs, isLendingPaused: activity.isLendingPaused, openFaults: activity.openFaults });
  const simNowMs = () => Math.max(lastSimMs, Math.floor(o.clock.now(o.now())));
  const status = (state: KioskStatus['state'], reason?: string): string =>
    JSON.stringify({ state, ts: format(simNowMs()), bootId, ...(reason ? { reason } : { firmware: o.firmware }) });
  const jitteredReconnectMs = () => Math.round(o.reconnectPeriodMs * (0.8 + 0.4 * Math.random()));

  function generateUpTo(untilMs: number): void {
    if (untilMs <= lastSimMs) return;
    const generated = generateActivity(o.profile, kioskId, lastSimMs, untilMs, rng, activity);
    activity = generated.state;
    o.recordSilentFailures?.(generated.silentFailures);
    const events = [...generated.events, ...crewInspections(lastSimMs, untilMs)];
    lastSimMs = untilMs;
    o.outbox.add(kioskId, events, progress());
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
    o.outbox.add(kioskId, [issued.event], progress());
    flush();
  }

  function flush(): void {
    if (!isOnline || client === undefined || inFlightMessages >= MAX_IN_FLIGHT_MESSAGES) return;
    const realNowMs = o.now();
    const due = o.outbox.pending(kioskId, o.maxEventsPerFlush, realNowMs - o.ackTimeoutMs);
    for (let i = 0; i < due.length; i += o.batchSize) {
      const batch = due.slice(i, i + o.batchSize).map((entry) => entry.event);
      inFlightMessages++;
      client.publish(topic('events'), JSON.stringify(o.batchSize === 1 ? batch[0] : batch), { qos: 1 }, (err) => {
        inFlightMessages--;
        if (err) log.debug({ err }, 'events publish failed; resent after the ack timeout');
      });
    }
    o.outbox.markSent(
      due.map((entry) => entry.event.id),
      realNowMs,
    );
  }

  function tick(): void {
    try {
      generateUpTo(simNowMs());
      flush();
    } catch (err) {
      log.error({ err }, 'simulator tick failed');
    }
  }

  function publishTelemetry(): void {
    // Only while online: mqtt.js would queue QoS 0 messages offline in an unbounded array.
    if (!isOnline || client === undefined) return;
    const reading = readTelemetry(health, format(simNowMs()), rng);
    client.publish(topic('telemetry'), JSON.stringify(reading), { qos: 0 });
  }

  function onAck(payload: Buffer): void {
    const ack = ackSchema.safeParse(parseJson(payload));
    if (!ack.success) {
      log.warn({ issues: ack.error.issues }, 'invalid ack ignored');
      return;
    }
    for (const rejected of ack.data.rejected) log.warn(rejected, 'event rejected by the collector');
    const removed = o.outbox.remove([...ack.data.stored, ...ack.data.rejected.map((r) => r.id)]);
    log.debug({ removed }, 'ack received');
  }

  function onCommand(payload: Buffer): void {
    const command = commandSchema.safeParse(parseJson(payload));
    if (!command.success) {
      log.warn({ issues: command.error.issues }, 'invalid command ignored');
      return;
    }
    applyCommand(command.data);
  }

  function applyCommand(command: KioskCommand): void {
    const atMs = simNowMs();
    generateUpTo(atMs); // what happened before the command happened with the old state
    const isLendingPaused =
      command.type === 'pause' || command.type === 'withdraw'
        ? true
        : command.type === 'resume'
          ? false
          : activity.isLendingPaused;
    const detail = command.type === 'reboot' ? 'a simulated machine does not reboot' : undefined;
    const issued = issueEvent(
      kioskId,
      { ...activity, isLendingPaused },
      atMs,
      { type: 'command_ack', commandId: command.id, result: 'accepted', ...(detail ? { detail } : {}) },
      o.timeZone,
    );
    activity = issued.state;
    o.outbox.add(kioskId, [issued.event], progress());
    log.info({ commandId: command.id, type: command.type, by: command.by }, 'command accepted');
    flush();
  }

  async function onConnect(mqttClient: MqttClient, thisConnection: number): Promise<void> {
    try {
      // Subscribe before anything is sent, so no ack for it can be missed.
      const grants = await mqttClient.subscribeAsync({ [topic('acks')]: { qos: 1 }, [topic('commands')]: { qos: 1 } });
      if (grants.some((grant) => grant.qos === 128)) log.warn({ grants }, 'broker refused a subscription');
      if (thisConnection !== connection || !mqttClient.connected) return;
      mqttClient.publish(topic('status'), status('online'), { qos: 1, retain: true });
      o.outbox.markUnsent(kioskId);
      isOnline = true;
      hasWarnedOfError = false;
      log.debug('online');
      publishTelemetry(); // a first reading at once, so the platform need not wait an interval
      flush();
    } catch (err) {
      log.warn({ err }, 'could not set up the connection');
    }
  }

  function createClient(): MqttClient {
    const credentials = o.credentials?.(kioskId);
    const will = () => ({
      topic: topic('status'),
      payload: Buffer.from(status('offline', 'connection lost')),
      qos: 1 as const,
      retain: true,
    });
    const clientOptions: IClientOptions = {
      clientId: kioskId,
      clean: true,
      keepalive: o.keepaliveSec,
      reconnectPeriod: jitteredReconnectMs(),
      // The outbox resubscribes and resends on every connect; mqtt.js need not.
      resubscribe: false,
      will: will(),
      ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
    };
    const mqttClient = connect(o.brokerUrl, clientOptions);
    mqttClient.on('connect', () => void onConnect(mqttClient, ++connection));
    mqttClient.on('reconnect', () => {
      // mqtt.js rebuilds CONNECT from `options` on every attempt: refresh the will's ts and the jitter.
      mqttClient.options.will = will();
      mqttClient.options.reconnectPeriod = jitteredReconnectMs();
    });
    mqttClient.on('close', () => {
      if (isOnline) log.debug('offline');
      isOnline = false;
    });
    mqttClient.on('error', (err) => {
      // A fleet retrying against a broker that is down would otherwise log every attempt.
      log[hasWarnedOfError ? 'debug' : 'warn']({ err }, 'mqtt error');
      hasWarnedOfError = true;
    });
    mqttClient.on('message', (topicName, payload) => {
      try {
        if (topicName === topic('acks')) onAck(payload);
        else if (topicName === topic('commands')) onCommand(payload);
      } catch (err) {
        log.error({ err, topic: topicName }, 'message handling failed');
      }
    });
    return mqttClient;
  }

  async function stop(): Promise<void> {
    timers.splice(0).forEach(clearInterval);
    const mqttClient = client;
    client = undefined;
    isOnline = false;
    connection++;
    if (mqttClient === undefined) return;
    if (!mqttClient.connected) {
      await mqttClient.endAsync(true);
      return;
    }
    const offline = mqttClient.publishAsync(topic('status'), status('offline', 'shutdown'), { qos: 1, retain: true });
    await withTimeout(offline, STOP_TIMEOUT_MS).catch((err: unknown) => log.warn({ err }, 'offline status not sent'));
    // end() without force sends DISCONNECT (so the broker drops the will) but waits for every
    // outstanding PUBACK; a broker that never answers must not hang shutdown.
    const ended = await withTimeout(mqttClient.endAsync(), STOP_TIMEOUT_MS).catch(() => 'timeout' as const);
    if (ended === 'timeout') mqttClient.stream.destroy();
  }

  return Object.freeze({
    kioskId,
    bootId,
    start(): void {
      if (client !== undefined) return;
      client = createClient();
      tick();
      timers.push(setInterval(tick, o.tickMs), setInterval(publishTelemetry, o.telemetryIntervalMs));
    },
    stop,
    isOnline: () => isOnline,
    isLendingPaused: () => activity.isLendingPaused,
    generatedUntilMs: () => lastSimMs,
    deliverReservation,
  });
}
