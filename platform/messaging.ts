/**
 * The messaging stage: where machines' messages arrive. It chooses the broker (the embedded aedes,
 * or an external one at MQTT_URL) and says how the collector reaches it; a new broker engine is
 * chosen here and nowhere else. With CLUSTER_REDIS_URL the node is one of several: the broker and
 * socket.io share their routing through Redis; with MQTT_SHARE_GROUP the collector shares an
 * external broker's ingest (docs/cluster.md).
 */
import { hostname } from 'node:os';
import type { RunningBroker } from '../broker/broker.js';
import type { CollectorLink } from '../collector/collector.js';
import type { ComponentHealth } from '../dashboard/context.js';
import { createSocketClusterAdapter, type SocketClusterAdapter } from '../dashboard/socket-cluster-adapter.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import type { Foundation } from './foundation.js';
import { RefusalFeed } from './refusal-feed.js';
import { buildStage, type Stoppable } from './stops.js';

export interface MessagingInput {
  foundation: Foundation;
  /** Whether this process runs the broker (else MQTT_URL names an external one, or another process runs it). */
  isEmbedded: boolean;
  /** When a refusal was made; default the wall clock. */
  now?: () => number;
}

export type BrokerHealth = ComponentHealth & { connectedKiosks?: number; offlineQueueDropped?: number };

export interface Messaging extends Stoppable {
  /** The broker in this process, or null when it runs elsewhere. */
  broker: RunningBroker | null;
  /** Where MQTT clients of this process (the simulators) connect. */
  mqttUrl: string;
  /** How the collector subscribes. */
  collectorLink: CollectorLink;
  /** The MQTT address machines should use, for provisioning answers. */
  mqttEndpoint: string;
  brokerHealth(): BrokerHealth;
  /**
   * What the embedded broker refused, for the dead-letter store: buffered until the collector
   * subscribes, so refusals before it started are kept too.
   */
  refusals: RefusalFeed;
  /** socket.io's adapter when this node is one of several (CLUSTER_REDIS_URL): pushes reach every node's browsers. */
  socketAdapter: SocketClusterAdapter['adapter'] | null;
}

/** Refusals by the broker's connection gate (and the PROXY header before it), before a byte of MQTT was read. */
const isConnectionRefusal = (reason: string) =>
  reason === 'too_many_connections' || reason === 'connect_rate_exceeded' || reason === 'proxy_header_invalid';

/**
 * One member of the collectors sharing an external broker's ingest (MQTT_SHARE_GROUP). Its client
 * id stays the same across restarts of the node (its persistent session and queue are kept) and
 * differs between nodes, even two on one host.
 */
function sharedIngestOf(group: string, port: number): { shareGroup: string; clientId: string } {
  return { shareGroup: group, clientId: `collector-${group}-${hostname()}-${port}` };
}

export function startMessaging(input: MessagingInput): Promise<Messaging> {
  const { foundation: f } = input;
  const { config } = f;
  const refusals = new RefusalFeed(input.now ?? Date.now);
  return buildStage(f.logger, async (stops) => {
    const broker = input.isEmbedded
      ? await startEmbeddedBroker(f, (rejection) => {
          // Refused connections are only counted: a connection flood must not become a write flood.
          if (!isConnectionRefusal(rejection.reason)) refusals.push(rejection);
        })
      : null;
    if (broker) stops.defer(() => broker.stop());
    // Stopped after the web stage (stages stop in reverse): socket.io unsubscribes through it as it closes.
    const socketCluster = config.CLUSTER_REDIS_URL
      ? createSocketClusterAdapter({ url: config.CLUSTER_REDIS_URL, logger: f.logger })
      : null;
    if (socketCluster) stops.defer(() => socketCluster.close());
    const mqttUrl = config.MQTT_URL ?? `mqtt://127.0.0.1:${broker?.port ?? config.MQTT_PORT}`;
    // Without MQTT_URL the broker is this platform's own, in this process or another sharing DATA_DIR.
    const isOwnBroker = broker !== null || !config.MQTT_URL;
    const collectorLink: CollectorLink = broker
      ? // With the broker in this process, the collector subscribes to it directly (no loopback MQTT).
        { localBroker: broker.aedes }
      : isOwnBroker
        ? { mqttUrl, username: 'collector', password: f.secrets.serviceToken }
        : {
            mqttUrl,
            ...(config.MQTT_USERNAME ? { username: config.MQTT_USERNAME } : {}),
            ...(config.MQTT_PASSWORD ? { password: config.MQTT_PASSWORD } : {}),
            ...(config.MQTT_SHARE_GROUP ? sharedIngestOf(config.MQTT_SHARE_GROUP, config.PORT) : {}),
          };
    const brokerHealth = (): BrokerHealth => {
      if (!broker) return { state: 'external', detail: `external broker ${config.MQTT_URL ?? mqttUrl}` };
      const stats = broker.stats();
      const figures = { connectedKiosks: stats.connectedKiosks, offlineQueueDropped: stats.offlineQueue.dropped };
      // One node of several with Redis away: its own machines are served, the others' not reached.
      if (stats.cluster?.state === 'degraded')
        return { state: 'degraded', detail: `${stats.connectedKiosks} machines connected; ${stats.cluster.detail}`, ...figures };
      // Like the spool's refusals: dropped messages are resent by the machines, but someone should look.
      if (stats.offlineQueue.dropped > 0)
        return {
          state: 'degraded',
          detail: `${stats.connectedKiosks} machines connected; ${stats.offlineQueue.dropped} messages dropped from full queues of offline sessions (OFFLINE_QUEUE_MAX_MESSAGES)`,
          ...figures,
        };
      return { state: 'ok', detail: `${stats.connectedKiosks} machines connected`, ...figures };
    };
    return {
      broker,
      mqttUrl,
      collectorLink,
      mqttEndpoint: config.MQTT_URL ?? `mqtt://<this host>:${broker?.port ?? config.MQTT_PORT}`,
      brokerHealth,
      refusals,
      socketAdapter: socketCluster?.adapter ?? null,
    };
  });
}
