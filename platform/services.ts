/**
 * The services stage: the collector and what reads what it stores (service promises, fleet
 * health, notifications, metrics). It starts no store and no broker: it is given both.
 */
import { hostname } from 'node:os';
import { type RunningCollector, startCollector } from '../collector/collector.js';
import { lastActivityMs } from '../collector/health/platform-watch.js';
import { type RunningFleetHealth, startFleetHealth } from '../collector/health/start-fleet-health.js';
import { createPlatformMetrics, type PlatformMetrics } from '../collector/metrics.js';
import type { NotificationDispatcher } from '../collector/notify/dispatcher.js';
import type { NotifyConfig } from '../collector/notify/notify-config.js';
import type { Scheduler } from '../collector/notify/scheduler.js';
import { startNotifications } from '../collector/notify/start-notifications.js';
import { type ServicePromises, startServicePromises } from '../collector/promises/service-promises.js';
import type { Foundation } from './foundation.js';
import type { Messaging } from './messaging.js';
import type { Storage } from './storage.js';
import { buildStage, type Stoppable } from './stops.js';
import type { RunningBroker } from '../broker/broker.js';

export interface ServicesInput {
  foundation: Foundation;
  storage: Pick<Storage, 'store' | 'spool' | 'outbox' | 'followOtherNodes'>;
  messaging: Pick<Messaging, 'broker' | 'collectorLink' | 'refusals'>;
  /** NOTIFY_CONFIG's settings, or null when no notifications are configured. */
  notifyConfig: NotifyConfig | null;
  /** The notifiers' clock (pacing, retries, expiry): tests move it through minutes. */
  notifyScheduler?: Scheduler | undefined;
}

export interface Services extends Stoppable {
  collector: RunningCollector;
  promises: ServicePromises;
  fleetHealth: RunningFleetHealth;
  notifications: NotificationDispatcher | null;
  metrics: PlatformMetrics;
  /** Whether the views fold what other nodes store too (DATABASE_URL): see DashboardContext. */
  isFollowingOtherNodes: boolean;
}

export function startServices(input: ServicesInput): Promise<Services> {
  const { foundation: f, storage, messaging, notifyConfig } = input;
  const { config, logger } = f;
  const { store, spool, outbox } = storage;
  return buildStage(logger, async (stops) => {
    // Read before the collector subscribes: what it receives on start must not hide the gap.
    const downSinceMs = await lastActivityMs(store);
    const collector = await startCollector({
      topics: f.topics,
      store,
      calendar: f.calendar,
      logger,
      limits: { maxPayloadBytes: config.MAX_PACKET_BYTES, maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS },
      knownKioskIds: f.registry.list().map((k) => k.id),
      spool,
      offlineHoldMs: config.LAST_WILL_HOLD_MS,
      ...messaging.collectorLink,
    });
    stops.defer(() => collector.stop());
    // The broker's refusals become dead letters, those made before the collector started included.
    const unsubscribe = messaging.refusals.subscribe(({ rejection: r, atMs }) =>
      collector.ingest.reject({
        receivedMs: atMs,
        topic: r.topic ?? '',
        ...(r.clientId ? { kioskId: r.clientId } : {}),
        reason: r.reason,
        detail: r.detail,
        payloadExcerpt: '',
      }),
    );
    stops.defer(unsubscribe);
    // Before the views below load the history: what other nodes append meanwhile is not missed.
    if (storage.followOtherNodes) {
      const feed = await storage.followOtherNodes((records) => collector.ingest.follow(records));
      stops.defer(() => feed.close());
    }

    const promises = await startServicePromises({
      store,
      ingest: collector.ingest,
      calendar: f.calendar,
      topics: f.topics,
      listKiosks: () => f.registry.list(),
      policy: { windowMs: config.RESERVATION_SLA_HOURS * 3_600_000, atRiskRatio: config.RESERVATION_AT_RISK_RATIO },
      maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
      logger,
    });
    stops.defer(() => promises.stop());

    const fleetHealth = await startFleetHealth({
      store,
      collector,
      registry: f.registry,
      calendar: f.calendar,
      policy: { promiseMs: config.RESPONSE_PROMISE_HOURS * 3_600_000, stepsPercent: config.ESCALATION_STEPS },
      offlineAfterMs: config.OFFLINE_AFTER_MS,
      notLendingProbability: config.NOT_LENDING_PROBABILITY,
      downSinceMs,
      // Without a broker here (MQTT_URL) the external one routes: nothing this node can know.
      canReachKiosk: (id) => messaging.broker?.canReachKiosk(id) ?? true,
      logger,
      // One node of several hears only the machines connected to it: it judges only those.
      ...(config.CLUSTER_REDIS_URL && messaging.broker ? { holdsConnection: holdsConnectionOn(messaging.broker) } : {}),
      // Collectors sharing an external broker's ingest each hear a share of every machine.
      ...(config.MQTT_SHARE_GROUP ? { sharesIngest: true } : {}),
      ...nodeNameOf(config),
    });
    stops.defer(() => fleetHealth.stop());

    const notifications =
      notifyConfig && outbox
        ? startNotifications({
            config: notifyConfig,
            health: fleetHealth.health,
            outbox,
            publicUrl: config.PUBLIC_URL ?? null,
            kioskInfo: (id) => {
              const kiosk = f.registry.get(id);
              return kiosk ? { name: kiosk.name, district: kiosk.district } : undefined;
            },
            timeZone: config.FLEET_TZ,
            logger,
            ...(input.notifyScheduler ? { scheduler: input.notifyScheduler } : {}),
          })
        : null;
    if (notifications) stops.defer(() => notifications.stop());

    const { broker } = messaging;
    const metrics = createPlatformMetrics({
      ingest: collector.ingest,
      broker: broker ? () => broker.stats() : null,
      spool,
      notifications: notifications ? () => notifications.health() : null,
    });
    stops.defer(() => metrics.stop());
    return { collector, promises, fleetHealth, notifications, metrics, isFollowingOtherNodes: storage.followOtherNodes !== null };
  });
}

/** A machine's client id is its kiosk id (the broker's ACL insists), so the broker knows whether it holds it. */
const holdsConnectionOn = (broker: RunningBroker) => (kioskId: string) => broker.isKioskConnected(kioskId);

/** The node's name in the platform's markers: set, or the host's when the node is one of several. */
function nodeNameOf(config: Foundation['config']): { nodeName?: string } {
  if (config.NODE_NAME) return { nodeName: config.NODE_NAME };
  return config.CLUSTER_REDIS_URL || config.MQTT_SHARE_GROUP ? { nodeName: hostname().slice(0, 128) } : {};
}
