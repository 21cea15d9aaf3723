import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BrokerStats } from '../broker/broker.js';
import type { ChannelHealth } from './notify/channel-sender.js';
import type { Ingest } from './ingest.js';
import type { EventRecord } from './store/event-store.js';
import type { Spool } from './store/spool.js';

export interface PlatformMetricsOptions {
  ingest: Ingest;
  /** The embedded broker's figures; null with an external broker. */
  broker?: (() => BrokerStats) | null;
  spool?: Spool | null;
  /** The notification channels' health (outbox depth and age), when NOTIFY_CONFIG is set. */
  notifications?: (() => ChannelHealth[]) | null;
  now?: () => number;
  /** Node's process metrics (memory, event loop lag, GC); on by default. */
  processMetrics?: boolean;
}

export interface PlatformMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** The text exposition format, for `GET /metrics`. */
  render(): Promise<string>;
  stop(): void;
}

const PREFIX = 'kiosk_fleet_';

/**
 * Prometheus metrics of the platform, in a registry of their own (not prom-client's global one).
 * Counters mirror the ingest's and broker's own counters at scrape time, so they never disagree
 * with `GET /api/v1/health`; the latency histogram is observed as events reach the store.
 */
export function createPlatformMetrics(options: PlatformMetricsOptions): PlatformMetrics {
  const { ingest } = options;
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  // prom-client's process and Node runtime metrics under their standard names (process_*, nodejs_*),
  // so ready-made Node.js dashboards and alerts work as they are; the platform's own carry PREFIX.
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  /** A counter whose value is read from a running total at scrape time. */
  const mirrored = (name: string, help: string, read: () => number) =>
    new Counter({
      name: PREFIX + name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name: PREFIX + name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });

  mirrored('messages_in_total', 'MQTT messages received by the collector', () => ingest.stats().messagesIn);
  mirrored('events_stored_total', 'Events appended to the store (duplicates not counted)', () => ingest.stats().eventsStored);
  mirrored('events_duplicate_total', 'Redelivered events the store already held', () => ingest.stats().duplicates);
  mirrored(
    'events_id_conflict_total',
    'Events refused because their id was stored already with another content (dead-lettered id_conflict)',
    () => ingest.stats().idConflicts,
  );
  mirrored('acks_sent_total', 'Application-level acks sent to machines', () => ingest.stats().acksSent);
  mirrored('dead_letters_total', 'Refused messages written as dead letters', () => ingest.stats().deadLetters);
  mirrored(
    'events_shed_total',
    'Events dropped from memory while the store was backed up (not acked)',
    () => ingest.stats().shed,
  );
  mirrored('store_errors_total', 'Failed store writes', () => ingest.stats().storeErrors);
  mirrored(
    'events_spooled_total',
    'Events acked from the local spool while the store was unavailable',
    () => ingest.stats().spooled,
  );
  new Counter({
    name: `${PREFIX}messages_rejected_total`,
    help: 'Messages or events refused, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(ingest.stats().rejectedByReason)) this.inc({ reason }, count);
    },
  });
  gauge('events_queued', 'Events in memory waiting for the store', () => ingest.stats().queuedEvents);

  const { spool, broker } = options;
  if (spool) {
    gauge('spool_depth_events', 'Events in the local spool waiting for the store', () => spool.stats().depthEvents);
    gauge('spool_bytes', 'Size of the local spool', () => spool.stats().bytes);
    mirrored(
      'spool_dropped_total',
      'Events the full spool refused (not acked: machines resend them)',
      () => spool.stats().droppedEvents,
    );
  }
  if (broker) {
    gauge('connected_machines', 'Machines connected to the embedded broker', () => broker().connectedKiosks);
    gauge('broker_connected_clients', 'Clients connected to the embedded broker', () => broker().connectedClients);
    gauge(
      'broker_open_connections',
      'Connections open on the embedded broker, CONNECT done or not',
      () => broker().openConnections,
    );
    mirrored(
      'broker_offline_queue_dropped_total',
      'Messages dropped because an offline persistent session (an external collector) had a full queue',
      () => broker().offlineQueue.dropped,
    );
    gauge(
      'broker_offline_queue_deepest',
      'Messages in the deepest queue of a persistent session',
      () => broker().offlineQueue.deepest,
    );
    new Counter({
      name: `${PREFIX}broker_rejections_total`,
      help: 'Connections, publishes and subscriptions the embedded broker refused, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(broker().rejectionsByReason)) this.inc({ reason }, count);
      },
    });
  }

  const { notifications } = options;
  if (notifications) {
    const perChannel = (name: string, help: string, read: (c: ChannelHealth) => number | null) =>
      new Gauge({
        name: PREFIX + name,
        help,
        labelNames: ['channel'],
        registers,
        collect() {
          this.reset();
          for (const c of notifications()) this.set({ channel: c.name }, read(c) ?? 0);
        },
      });
    perChannel('notification_outbox_depth', 'Messages in the notification outbox not yet accepted, per channel', (c) => c.queued);
    perChannel(
      'notification_outbox_held',
      'Messages held for a person (refused, or outcome unknown), per channel',
      (c) => c.held,
    );
    perChannel(
      'notification_outbox_oldest_age_seconds',
      'Age of the oldest message waiting in the notification outbox, per channel (0 when none)',
      (c) => (c.oldestAgeMs === null ? 0 : c.oldestAgeMs / 1000),
    );
    new Counter({
      name: `${PREFIX}notifications_sent_total`,
      help: 'Notification messages the channels accepted since start, per channel',
      labelNames: ['channel'],
      registers,
      collect() {
        this.reset();
        for (const c of notifications()) this.inc({ channel: c.name }, c.sent);
      },
    });
  }

  const latency = new Histogram({
    name: `${PREFIX}event_to_store_seconds`,
    help: 'From the collector receiving an event to the store holding it (spooled time included)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const onStored = (records: EventRecord[]) => {
    const t = now();
    for (const record of records) latency.observe(Math.max(0, t - record.receivedMs) / 1000);
  };
  ingest.on('stored', onStored);

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    stop() {
      ingest.off('stored', onStored);
      registry.clear();
    },
  };
}
