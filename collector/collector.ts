import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { KioskCommand, Topics } from '../protocol/index.js';
import type { Calendar } from './domain/calendar.js';
import type { DecodeLimits } from './decode.js';
import { Ingest } from './ingest.js';
import { LiveFleet } from './live-fleet.js';
import type { EventStore } from './store/event-store.js';
import type { Spool } from './store/spool.js';

export interface CollectorOptions {
  mqttUrl: string;
  username?: string;
  password?: string;
  /** Stable, so the broker keeps the collector's session (and queues for it) across restarts. */
  clientId?: string;
  topics: Topics;
  store: EventStore;
  calendar: Calendar;
  logger: Logger;
  now?: () => number;
  limits?: Partial<DecodeLimits>;
  /** Machines to show before they have said anything (the registry). */
  knownKioskIds?: readonly string[];
  /** The durable local spool for batches the store cannot take (see Ingest). */
  spool?: Spool | null;
}

export interface RunningCollector {
  readonly ingest: Ingest;
  readonly fleet: LiveFleet;
  isConnected(): boolean;
  /**
   * Publishes a command to a machine (QoS 1 on its commands topic). While the broker is away,
   * mqtt.js keeps it and sends it on reconnect; the machine answers with a `command_ack` event.
   */
  publishCommand(kioskId: string, command: KioskCommand): void;
  stop(): Promise<void>;
}

const SUBSCRIBED_CHANNELS = ['status', 'events', 'telemetry'] as const;
const DAY_ROLL_CHECK_MS = 60_000;

/**
 * The collector: subscribes to every machine's status, events and telemetry with a persistent
 * session, feeds the ingest pipeline, and keeps the live fleet picture folded from what is stored.
 */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'collector' });
  const fleet = new LiveFleet(options.calendar, now);
  fleet.ensure(options.knownKioskIds ?? []);
  await fleet.rebuild(options.store);

  let client: MqttClient | null = null;
  const ingest = new Ingest({
    topics: options.topics,
    store: options.store,
    logger,
    now,
    ...(options.limits ? { limits: options.limits } : {}),
    spool: options.spool ?? null,
    publishAck: (kioskId, ack) => {
      client?.publish(options.topics.topic(kioskId, 'acks'), JSON.stringify(ack), { qos: 1 });
    },
  });
  ingest.on('stored', (records) => fleet.applyEvents(records));
  ingest.on('telemetry', (records) => fleet.applyTelemetry(records));

  let isStopping = false;
  client = await mqtt.connectAsync(options.mqttUrl, {
    clientId: options.clientId ?? 'collector',
    clean: false,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    reconnectPeriod: 1_000,
    keepalive: 30,
  });
  client.on('message', (topic, payload) => {
    if (!isStopping) ingest.accept(topic, payload);
  });
  client.on('error', (error) => logger.error({ err: error }, 'MQTT error'));
  client.on('offline', () => logger.warn('collector lost its broker connection; reconnecting'));
  client.on('connect', () => logger.info('collector connected to the broker'));

  const granted = await client.subscribeAsync(
    SUBSCRIBED_CHANNELS.map((c) => options.topics.everyKiosk(c)),
    { qos: 1 },
  );
  const refused = granted.filter((g) => g.qos === 128);
  if (refused.length > 0) {
    await client.endAsync(true);
    throw Object.assign(new Error(`broker refused the collector's subscriptions: ${refused.map((g) => g.topic).join(', ')}`), {
      code: 'COLLECTOR_SUBSCRIBE_REFUSED',
    });
  }
  logger.info({ url: options.mqttUrl }, 'collector subscribed');

  const dayTimer = setInterval(() => fleet.rollDay(), DAY_ROLL_CHECK_MS);
  dayTimer.unref();

  return {
    ingest,
    fleet,
    isConnected: () => client?.connected ?? false,
    publishCommand(kioskId, command) {
      client?.publish(options.topics.topic(kioskId, 'commands'), JSON.stringify(command), { qos: 1 }, (error) => {
        if (error) logger.warn({ err: error, kioskId, commandId: command.id }, 'command not delivered to the broker');
      });
    },
    async stop() {
      // Not unsubscribing: the broker keeps queueing for the persistent session while we are down.
      clearInterval(dayTimer);
      await client?.endAsync();
      isStopping = true;
      await ingest.drain();
      ingest.stop();
    },
  };
}
