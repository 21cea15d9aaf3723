import { startBroker, type RunningBroker } from '../broker/broker.js';
import type { RejectionListener } from '../broker/rejection.js';
import { loadTlsPem } from '../config/tls.js';
import { hashToken, isTokenValid } from '../registry/tokens.js';
import type { Foundation } from './foundation.js';

/** The MQTT broker in this process, set up from the settings, the registry and the service token. */
export async function startEmbeddedBroker(f: Foundation, onRejected?: RejectionListener): Promise<RunningBroker> {
  const serviceHash = hashToken(f.secrets.serviceToken);
  const { config } = f;
  const pem = config.MQTTS_PORT !== null || config.MQTT_WSS_PORT !== null ? loadTlsPem(config) : null;
  return startBroker({
    topics: f.topics,
    host: config.HOST,
    port: config.MQTT_PORT,
    wsPort: config.MQTT_WS_PORT,
    ...(pem ? { tls: { ...pem, port: config.MQTTS_PORT, wsPort: config.MQTT_WSS_PORT } } : {}),
    maxPacketBytes: config.MAX_PACKET_BYTES,
    connectTimeoutMs: config.CONNECT_TIMEOUT_MS,
    maxConnections: config.MAX_CONNECTIONS,
    connectRatePerAddress: config.CONNECT_RATE_PER_ADDRESS,
    connectBurstPerAddress: config.CONNECT_BURST_PER_ADDRESS,
    publishRatePerKiosk: config.PUBLISH_RATE_PER_KIOSK,
    publishBurstPerKiosk: config.PUBLISH_BURST_PER_KIOSK,
    offlineQueueMaxMessages: config.OFFLINE_QUEUE_MAX_MESSAGES,
    // A rotated or revoked machine is disconnected: at once when this process changed its token,
    // within the registry's poll (250 ms) when another process sharing DATA_DIR did.
    watchCredentials: (listener) => f.registry.onCredentialsChanged(listener),
    verifyKioskToken: (id, token) => f.registry.verifyToken(id, token),
    verifyServiceToken: (_username, token) => isTokenValid(token, serviceHash),
    ...(onRejected ? { onRejected } : {}),
    clusterRedisUrl: config.CLUSTER_REDIS_URL ?? null,
    proxyProtocol: config.MQTT_PROXY_PROTOCOL === 'on',
    logger: f.logger,
  });
}
