import type { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { KioskCommand, Topics } from '../protocol/index.js';
import type { Calendar } from '../time/calendar.js';
import { FIRST_EVENT_DAY } from './decode.js';
import type { DecodeLimits } from './decode.js';
import { Ingest } from './ingest.js';
import { LiveFleet } from './live-fleet.js';
import { attachLocalTransport } from './local-transport.js';
import { connectMqttTransport } from './mqtt-transport.js';
import type { EventStore } from './store/event-store.js';
import type { Spool } from './store/spool.js';
import type { CollectorTransport } from './transport.js';

/** Where the collector's messages come from: a broker over MQTT, or the embedded aedes in this process. */
export type CollectorLink =
  | {
      mqttUrl: string;
      username?: string;
      password?: string;
      /** Stable, so the broker keeps the collector's session (and queues for it) across restarts. */
      clientId?: string;
      /**
       * Subscribe as one member of this shared-subscription group (`$share/{group}/…`, MQTT 5 and
       * Mosquitto 2, EMQX, HiveMQ): the broker hands each message to one collector of the group, so
       * several nodes share the ingest. Each member needs a client id of its own.
       */
      shareGroup?: string;
    }
  | { localBroker: Aedes };

export type CollectorOptions = CollectorLink & {
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
  /** How long an offline status waits for a takeover's new boot (see Ingest). Default 0. */
  offlineHoldMs?: number;
};

export interface RunningCollector {
  readonly ingest: Ingest;
  readonly fleet: LiveFleet;
  isConnected(): boolean;
  /**
   * Publishes a command to a machine (QoS 1 on its commands topic). While an MQTT broker is away,
   * mqtt.js keeps it and sends it on reconnect; the machine answers with a `command_ack` event.
   */
  publishCommand(kioskId: string, command: KioskCommand): void;
  stop(): Promise<void>;
}

const SUBSCRIBED_CHANNELS = ['status', 'events', 'telemetry'] as const;

/**
 * A topic filter as a member of a shared-subscription group. The broker still sends each message
 * under its own topic, so the ingest reads machine and channel from it as before.
 */
export const sharedFilter = (filter: string, group: string | undefined) => (group ? `$share/${group}/${filter}` : filter);
const DAY_ROLL_CHECK_MS = 60_000;

/**
 * The collector: subscribes to every machine's status, events and telemetry (over MQTT with a
 * persistent session, or in-process on the embedded broker), feeds the ingest pipeline, and keeps
 * the live fleet picture folded from what is stored.
 */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'collector' });
  const fleet = new LiveFleet(options.calendar, now);
  fleet.ensure(options.knownKioskIds ?? []);
  await fleet.rebuild(options.store);

  const link: CollectorTransport =
    'localBroker' in options
      ? attachLocalTransport(options.localBroker)
      : await connectMqttTransport({
          url: options.mqttUrl,
          clientId: options.clientId ?? 'collector',
          ...(options.username === undefined ? {} : { username: options.username }),
          ...(options.password === undefined ? {} : { password: options.password }),
          logger,
        });
  const ingest = new Ingest({
    topics: options.topics,
    store: options.store,
    logger,
    now,
    // 2000-01-01 begins at local midnight in the fleet's zone (the reports' first month), not in UTC:
    // a Beijing machine's event at 2000-01-01T00:00+08:00 is in 2000.
    limits: { minEventMs: options.calendar.startOfDay(FIRST_EVENT_DAY), ...options.limits },
    spool: options.spool ?? null,
    offlineHoldMs: options.offlineHoldMs ?? 0,
    publishAck: (kioskId, ack) => link.publish(options.topics.topic(kioskId, 'acks'), JSON.stringify(ack)),
  });
  ingest.on('stored', (records) => fleet.applyEvents(records));
  // On a cluster, what the other nodes store (their machines' statuses, loans, faults) folds into
  // this node's live picture too, so every node shows the whole fleet. Telemetry is not followed.
  ingest.on('followed', (records) => fleet.applyEvents(records));
  ingest.on('telemetry', (records) => fleet.applyTelemetry(records));

  const shareGroup = 'shareGroup' in options ? options.shareGroup : undefined;
  await link.subscribe(
    SUBSCRIBED_CHANNELS.map((c) => sharedFilter(options.topics.everyKiosk(c), shareGroup)),
    (topic, payload) => ingest.accept(topic, payload),
  );
  logger.info(
    'localBroker' in options ? { broker: 'embedded' } : { url: options.mqttUrl, ...(shareGroup ? { shareGroup } : {}) },
    'collector subscribed',
  );

  const dayTimer = setInterval(() => fleet.rollDay(), DAY_ROLL_CHECK_MS);
  dayTimer.unref();

  return {
    ingest,
    fleet,
    isConnected: () => link.isConnected(),
    publishCommand(kioskId, command) {
      link.publish(options.topics.topic(kioskId, 'commands'), JSON.stringify(command), (error) =>
        logger.warn({ err: error, kioskId, commandId: command.id }, 'command not delivered to the broker'),
      );
    },
    async stop() {
      clearInterval(dayTimer);
      await link.close();
      ingest.releaseHeldStatuses();
      await ingest.drain();
      ingest.stop();
    },
  };
}
