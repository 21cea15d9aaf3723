import { createHash, randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ackSchema } from '../protocol/acks.js';
import { commandSchema, type KioskCommand } from '../protocol/commands.js';
import type { KioskEvent } from '../protocol/events.js';
import type { KioskStatus } from '../protocol/status.js';
import type { Telemetry } from '../protocol/telemetry.js';
import type { Channel, KioskId, Topics } from '../protocol/topics.js';
import type { Outbox } from './outbox.js';

/** How the machine answers a command; the agent turns it into a `command_ack` event. */
export interface CommandAnswer {
  result: 'accepted' | 'rejected' | 'done';
  detail?: string;
}

export interface KioskAgentOptions {
  kioskId: KioskId;
  brokerUrl: string;
  topics: Topics;
  /** The machine's own credentials: username = kiosk id, password = its token. */
  credentials?: { username: string; password: string } | undefined;
  /** Extra TLS options for mqtts:// and wss:// (a private CA). */
  tls?: Pick<IClientOptions, 'ca' | 'rejectUnauthorized'>;
  outbox: Outbox;
  /** Now, as the machine stamps it: ISO 8601 with an offset. */
  timestamp: () => string;
  /** Random per process start unless given; in the status, its Last Will, and the ids of the agent's own events. */
  bootId?: string;
  firmware?: string;
  /**
   * Called once per command id (a QoS 1 repeat is answered again from memory, not acted on twice).
   * Its answer is sent as a `command_ack` through the outbox.
   */
  onCommand?: (command: KioskCommand) => CommandAnswer;
  /**
   * Whether to publish `online` after connecting before the owner says anything (default true).
   * A bridge leaves it to the machine's link: nothing until `setStatus`.
   */
  isOnlineAtConnect?: boolean;
  /** Called each time the agent is connected, subscribed and has announced its status. */
  onOnline?: () => void;
  /** Events per message: 1 sends one event object, more send arrays. Default 1. */
  batchSize?: number;
  /** Sent events unacked for this long are sent again. Default 10 s. */
  ackTimeoutMs?: number;
  /** Most events published per flush. Default 500. */
  maxEventsPerFlush?: number;
  /** How often the outbox is looked at for unacked events. Default 1 s. */
  flushIntervalMs?: number;
  keepaliveSec?: number;
  reconnectPeriodMs?: number;
  logger: Logger;
  /** The real clock, epoch ms (ack timeouts). Default Date.now. */
  now?: () => number;
}

export interface KioskAgent {
  readonly kioskId: KioskId;
  readonly bootId: string;
  start(): void;
  /** Publishes a retained `offline` status (reason `shutdown`), then disconnects cleanly. */
  stop(): Promise<void>;
  /** Connected, subscribed and announced online. */
  isOnline(): boolean;
  /**
   * Writes events (and, in the same transaction, the owner's progress) to the on-disk outbox, then
   * publishes them (right after the caller's turn) if connected. Throws when the outbox cannot be written (disk full): the caller
   * decides whether that is fatal.
   */
  enqueue(events: readonly KioskEvent[], progress?: unknown): void;
  /** Publishes what is due from the outbox now. */
  flush(): void;
  /** QoS 0, only while online (a lost reading is replaced by the next one). */
  publishTelemetry(reading: Telemetry): void;
  /**
   * Publishes a retained status with this agent's boot id (e.g. a bridged machine whose link went
   * away, or announced its stop, while the agent itself stays connected). Kept and re-published
   * after every reconnect; `online` again returns to the default.
   */
  setStatus(state: KioskStatus['state'], extra?: { reason?: string; announced?: boolean }): void;
  /** Events in the outbox not yet acked. */
  pendingCount(): number;
}

/** mqtt.js numbers messages with 16 bits: keep far fewer than 65,535 in flight. */
const MAX_IN_FLIGHT_MESSAGES = 1_000;
const STOP_TIMEOUT_MS = 5_000;
/** Command ids remembered to answer repeats without acting twice. */
const REMEMBERED_COMMANDS = 1_000;

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

/** The `command_ack` id for a command: the same for a repeat, so it is stored once. */
export function commandAckId(kioskId: KioskId, commandId: string): string {
  return `${kioskId}-ack-${createHash('sha256').update(commandId).digest('hex').slice(0, 24)}`;
}

/**
 * The machine side of the wire contract, as one reusable part: client id = user name = kiosk id,
 * a retained Last Will and `online` status sharing a boot id, every event kept in an on-disk outbox
 * until its id comes back in `stored` or `rejected`, everything unacked resent after each
 * reconnect, and commands answered with `command_ack`. The reference kiosk agent for vendors.
 */
export function createKioskAgent(options: KioskAgentOptions): KioskAgent {
  const o = {
    batchSize: 1,
    ackTimeoutMs: 10_000,
    maxEventsPerFlush: 500,
    flushIntervalMs: 1_000,
    keepaliveSec: 30,
    reconnectPeriodMs: 2_000,
    now: Date.now,
    ...options,
  };
  const { kioskId, outbox } = o;
  const bootId = o.bootId ?? randomBytes(6).toString('hex');
  const log = o.logger.child({ kioskId, bootId });
  const topic = (channel: Channel) => o.topics.topic(kioskId, channel);
  const answered = new Map<string, CommandAnswer>();
  let client: MqttClient | undefined;
  let connection = 0;
  let isOnline = false;
  let inFlightMessages = 0;
  let hasWarnedOfError = false;
  let flushTimer: NodeJS.Timeout | undefined;
  type Announced = { state: KioskStatus['state']; reason?: string; announced?: boolean };
  let announced: Announced | undefined = o.isOnlineAtConnect === false ? undefined : { state: 'online' };

  const statusPayload = (status: Announced): string =>
    JSON.stringify({
      state: status.state,
      ts: o.timestamp(),
      bootId,
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.announced ? { announced: true } : {}),
      ...(status.state === 'online' && o.firmware ? { firmware: o.firmware } : {}),
    });
  const jitteredReconnectMs = () => Math.round(o.reconnectPeriodMs * (0.8 + 0.4 * Math.random()));

  /**
   * Events in the outbox not yet acked, kept in memory so that a flush with nothing to send asks
   * the file nothing: a bridge holds hundreds of agents, each flushing every second.
   */
  let unacked: number | undefined;
  const unackedNow = () => (unacked ??= outbox.count(kioskId));

  function publishEvents(events: readonly KioskEvent[]): void {
    if (client === undefined) return;
    for (let i = 0; i < events.length; i += o.batchSize) {
      const batch = events.slice(i, i + o.batchSize);
      inFlightMessages++;
      client.publish(topic('events'), JSON.stringify(o.batchSize === 1 ? batch[0] : batch), { qos: 1 }, (err) => {
        inFlightMessages--;
        if (err) log.debug({ err }, 'events publish failed; resent after the ack timeout');
      });
    }
  }

  function flush(): void {
    if (!isOnline || client === undefined || inFlightMessages >= MAX_IN_FLIGHT_MESSAGES) return;
    if (unackedNow() === 0) return;
    const realNowMs = o.now();
    const due = outbox.pending(kioskId, o.maxEventsPerFlush, realNowMs - o.ackTimeoutMs);
    publishEvents(due.map((entry) => entry.event));
    outbox.markSent(
      due.map((entry) => entry.event.id),
      realNowMs,
    );
  }

  let isFlushScheduled = false;
  /** Events added as sent (see enqueue), published after the caller's turn. */
  let toPublish: KioskEvent[] = [];
  /** Events added unsent in this turn: the scheduled flush reads them from the outbox. */
  let isFlushDue = false;

  function enqueue(events: readonly KioskEvent[], progress?: unknown): void {
    const before = unackedNow();
    // Nothing else unacked and a connection that takes it: the events go out as they are, marked
    // sent in the commit that adds them, so the flush after the caller's turn neither reads them
    // back nor commits again (for a SIP2 bridge that work sits between two readers' answers).
    // With anything older unacked, the flush sends in the outbox's order as before.
    const isDirect = before === 0 && isOnline && client !== undefined && inFlightMessages < MAX_IN_FLIGHT_MESSAGES;
    const added = outbox.add(kioskId, events, progress, isDirect ? o.now() : undefined);
    unacked = before + added;
    if (added === 0) return;
    armFlushTimer();
    if (isDirect) toPublish.push(...events);
    else isFlushDue = true;
    if (isFlushScheduled) return;
    // Published after the caller's turn: a SIP2 answer waiting on this write goes out first, and
    // events added in the same turn share one flush.
    isFlushScheduled = true;
    setImmediate(() => {
      isFlushScheduled = false;
      const direct = toPublish;
      toPublish = [];
      const isFlushNeeded = isFlushDue;
      isFlushDue = false;
      try {
        // A connection lost meanwhile: the reconnect marks everything unsent and sends it.
        if (isOnline) publishEvents(direct);
        if (isFlushNeeded) flush();
      } catch (err) {
        log.error({ err }, 'outbox flush failed');
      }
    });
  }

  function onAck(payload: Buffer): void {
    const ack = ackSchema.safeParse(parseJson(payload));
    if (!ack.success) {
      log.warn({ issues: ack.error.issues }, 'invalid ack ignored');
      return;
    }
    for (const rejected of ack.data.rejected) log.warn(rejected, 'event rejected by the collector');
    const removed = outbox.remove([...ack.data.stored, ...ack.data.rejected.map((r) => r.id)]);
    unacked = Math.max(0, unackedNow() - removed);
    log.debug({ removed }, 'ack received');
  }

  function onCommand(payload: Buffer): void {
    const parsed = commandSchema.safeParse(parseJson(payload));
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues }, 'invalid command ignored');
      return;
    }
    const command = parsed.data;
    let answer = answered.get(command.id);
    if (answer === undefined) {
      answer = o.onCommand?.(command) ?? { result: 'rejected', detail: 'this machine takes no commands' };
      answered.set(command.id, answer);
      if (answered.size > REMEMBERED_COMMANDS) answered.delete(answered.keys().next().value!);
      log.info({ commandId: command.id, type: command.type, by: command.by, result: answer.result }, 'command answered');
    }
    enqueue([
      {
        id: commandAckId(kioskId, command.id),
        ts: o.timestamp(),
        type: 'command_ack',
        commandId: command.id,
        result: answer.result,
        ...(answer.detail ? { detail: answer.detail.slice(0, 500) } : {}),
      },
    ]);
  }

  async function onConnect(mqttClient: MqttClient, thisConnection: number): Promise<void> {
    try {
      // Subscribe before anything is sent, so no ack for it can be missed.
      const grants = await mqttClient.subscribeAsync({ [topic('acks')]: { qos: 1 }, [topic('commands')]: { qos: 1 } });
      if (grants.some((grant) => grant.qos === 128)) log.warn({ grants }, 'broker refused a subscription');
      if (thisConnection !== connection || !mqttClient.connected) return;
      if (announced) mqttClient.publish(topic('status'), statusPayload(announced), { qos: 1, retain: true });
      outbox.markUnsent(kioskId);
      isOnline = true;
      hasWarnedOfError = false;
      log.debug('online');
      o.onOnline?.();
      flush();
    } catch (err) {
      log.warn({ err }, 'could not set up the connection');
    }
  }

  function createClient(): MqttClient {
    const will = () => ({
      topic: topic('status'),
      payload: Buffer.from(statusPayload({ state: 'offline', reason: 'connection lost' })),
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
      ...(o.credentials ? { username: o.credentials.username, password: o.credentials.password } : {}),
      ...o.tls,
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

  /**
   * The periodic flush resends what the collector has not acked in time, so it runs only while
   * something is unacked: a bridge's hundreds of agents, idle between transactions, would otherwise
   * wake its event loop hundreds of times a second for nothing (measured: docs/benchmarks.md).
   * Each wait is the interval ± 20 %: agents started together in one process would otherwise flush
   * in lockstep, and Node keeps timers that fired together together.
   */
  function armFlushTimer(): void {
    if (client === undefined || flushTimer !== undefined) return;
    flushTimer = setTimeout(
      () => {
        flushTimer = undefined;
        try {
          flush();
          if (unackedNow() > 0) armFlushTimer();
        } catch (err) {
          log.error({ err }, 'outbox flush failed');
          armFlushTimer();
        }
      },
      Math.round(o.flushIntervalMs * (0.8 + 0.4 * Math.random())),
    );
  }

  async function stop(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    const mqttClient = client;
    client = undefined;
    isOnline = false;
    connection++;
    if (mqttClient === undefined) return;
    if (!mqttClient.connected) {
      await mqttClient.endAsync(true);
      return;
    }
    const offline = mqttClient.publishAsync(topic('status'), statusPayload({ state: 'offline', reason: 'shutdown' }), {
      qos: 1,
      retain: true,
    });
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
      // Whatever a previous run left unacked is due; an empty outbox disarms it at the first round.
      armFlushTimer();
    },
    stop,
    isOnline: () => isOnline,
    enqueue,
    flush,
    publishTelemetry(reading: Telemetry): void {
      // Only while online: mqtt.js would queue QoS 0 messages offline in an unbounded array.
      if (!isOnline || client === undefined) return;
      client.publish(topic('telemetry'), JSON.stringify(reading), { qos: 0 });
    },
    setStatus(state: KioskStatus['state'], extra: { reason?: string; announced?: boolean } = {}): void {
      announced = { state, ...extra };
      if (isOnline && client !== undefined) client.publish(topic('status'), statusPayload(announced), { qos: 1, retain: true });
    },
    pendingCount: () => outbox.count(kioskId),
  });
}
