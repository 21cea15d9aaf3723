// This file is long because it composes the broker's policy modules (auth, ACL, gate, budget,
// queues, listeners) and its options in one place; each rule itself lives in its own module.
import type { EventEmitter } from 'node:events';
import { Aedes, type Client } from 'aedes';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { KioskId, Topics } from '../protocol/topics.js';
import { createAcl } from './acl.js';
import { createAuthenticator } from './auth.js';
import type { Principal } from './principal.js';
import { ConnectionGate } from './connection-gate.js';
import { MAX_REMAINING_LENGTH } from './frame-guard.js';
import { startTcpListener, startWebSocketListener, type ListenerOptions, type TlsCredentials } from './listeners.js';
import { boundOfflineQueues, type OfflineQueueStats } from './offline-queue.js';
import { persistenceOf } from './aedes-persistence.js';
import { createRedisMessaging, type RedisMessaging, type RedisMessagingHealth } from './redis-messaging.js';
import { withPublishBudget } from './publish-budget.js';
import { BROKER_DEFAULTS } from './broker-defaults.js';
import { createRefusalBudget, REFUSAL_BUDGET_DEFAULTS, type RefusalBudget } from './refusal-budget.js';
import {
  PolicyRefusal,
  REJECTION_REASONS,
  addressOf,
  type Rejection,
  type RejectionListener,
  type RejectionReason,
} from './rejection.js';

export interface BrokerOptions {
  topics: Topics;
  /** Interface to listen on. Default `127.0.0.1`: exposing the broker is a deliberate choice. */
  host?: string;
  /** MQTT over TCP; 0 picks a free port. */
  port: number;
  /**
   * The TCP listener expects a PROXY protocol v2 header on every connection (HAProxy
   * `send-proxy-v2`), so per-address limits and logs see the machine's address. Default false.
   */
  proxyProtocol?: boolean;
  /** MQTT over WebSocket at `/mqtt`; `null` (default) for none, 0 picks a free port. */
  wsPort?: number | null;
  /** Largest Remaining Length of any packet. Default 262,144 (256 KiB). */
  maxPacketBytes?: number;
  /** Time allowed from accepting a connection to a complete CONNECT (and for a TLS handshake). Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** MQTTS and MQTT over secure WebSocket, with these certificates; both ports may be null. */
  tls?: BrokerTlsOptions;
  /** Open connections on all listeners together; 0 for no cap. Default 20,000. */
  maxConnections?: number;
  /** New connections per remote address per 10 s, sustained; 0 turns the limit off. Default 30. */
  connectRatePerAddress?: number;
  /** New connections a remote address may open at once. Default 100. */
  connectBurstPerAddress?: number;
  /** PUBLISH packets per machine per 10 s, sustained; 0 turns the budget off. Default 60. */
  publishRatePerKiosk?: number;
  /** PUBLISH packets a machine may send at once (an outbox flush). Default 3,000. */
  publishBurstPerKiosk?: number;
  /** Messages queued per offline persistent session (the external collector's); 0 for no cap. Default 100,000. */
  offlineQueueMaxMessages?: number;
  /**
   * SUBSCRIBE filters and PUBLISHes the ACL may refuse on one connection before it is closed; 0
   * for no budget. Default 100. Only the first 5 per reason are logged and dead-lettered one by one.
   */
  maxRefusalsPerConnection?: number;
  /**
   * Subscribes to changes of machines' credentials (rotation, revocation) and returns the
   * unsubscribe function; the broker disconnects such a machine at once.
   */
  watchCredentials?(listener: (kioskId: KioskId) => void): () => void;
  /** User names of services; any other user name must be a kiosk id. Default collector, dashboard. */
  serviceNames?: readonly string[];
  verifyKioskToken(kioskId: KioskId, token: Buffer): boolean;
  verifyServiceToken(username: string, token: Buffer): boolean;
  /** Called for every refusal, after it was counted and logged. */
  onRejected?: RejectionListener;
  /**
   * One node of several: routing, subscriptions, retained messages, wills and sessions shared
   * through this Redis (`redis://…`), so a message reaches a client on whichever node holds it.
   */
  clusterRedisUrl?: string | null;
  logger: Logger;
}

export interface BrokerTlsOptions extends TlsCredentials {
  /** MQTT over TLS ("mqtts"); null for none, 0 picks a free port. */
  port: number | null;
  /** MQTT over secure WebSocket at `/mqtt` ("wss"); null for none, 0 picks a free port. */
  wsPort: number | null;
}

export interface BrokerStats {
  connectedClients: number;
  connectedKiosks: number;
  /** Accepted connections on every listener, including those not past CONNECT yet. */
  openConnections: number;
  rejectionsByReason: Record<RejectionReason, number>;
  /** Messages dropped from, and the deepest of, the queues of offline persistent sessions. */
  offlineQueue: OfflineQueueStats;
  /** The link to the other nodes through Redis; null for a broker on its own. */
  cluster: RedisMessagingHealth | null;
}

export interface RunningBroker {
  readonly port: number;
  readonly wsPort: number | null;
  /** MQTTS port, when TLS is configured. */
  readonly tlsPort: number | null;
  /** MQTT over secure WebSocket port, when configured. */
  readonly wssPort: number | null;
  /** The aedes instance, for a subscriber in this process (the embedded collector): no MQTT round trip. */
  readonly aedes: Aedes;
  stats(): BrokerStats;
  isKioskConnected(kioskId: KioskId): boolean;
  /**
   * Whether a message published here now can reach the machine: always on a broker of its own;
   * on one node of several, while Redis is reachable or when the machine is connected here.
   */
  canReachKiosk(kioskId: KioskId): boolean;
  /** Closes a machine's connection, if it has one (its will is published); true when it had one. */
  disconnectKiosk(kioskId: KioskId, why: string): boolean;
  /** Closes the listeners (and every connection), then the broker. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * aedes disconnects a client whose socket stays full this long, so one frozen subscriber cannot
 * hold up delivery to everyone (aedes' default, kept explicit so nobody turns it off).
 */
const DRAIN_TIMEOUT_MS = 60_000;

export class BrokerOptionsError extends Error {
  readonly code = 'BROKER_INVALID_OPTIONS';
}

const portSchema = z.number().int().min(0).max(65_535);
const settingsSchema = z.strictObject({
  host: z.string().min(1),
  port: portSchema,
  wsPort: portSchema.nullable(),
  // A CONNECT with a 64-character kiosk id, client id and token needs a few hundred bytes.
  maxPacketBytes: z.number().int().min(1024).max(MAX_REMAINING_LENGTH),
  connectTimeoutMs: z.number().int().positive(),
  serviceNames: z.array(z.string().min(1)),
  tlsPort: portSchema.nullable(),
  wssPort: portSchema.nullable(),
  maxConnections: z.number().int().min(0),
  connectRatePerAddress: z.number().int().min(0),
  connectBurstPerAddress: z.number().int().min(1),
  publishRatePerKiosk: z.number().int().min(0),
  publishBurstPerKiosk: z.number().int().min(1),
  offlineQueueMaxMessages: z.number().int().min(0),
  maxRefusalsPerConnection: z.number().int().min(0),
  clusterRedisUrl: z.url({ protocol: /^rediss?$/ }).nullable(),
  proxyProtocol: z.boolean(),
});

function resolveOptions(options: BrokerOptions) {
  const parsed = settingsSchema.safeParse({
    host: options.host ?? BROKER_DEFAULTS.host,
    port: options.port,
    wsPort: options.wsPort === undefined ? BROKER_DEFAULTS.wsPort : options.wsPort,
    maxPacketBytes: options.maxPacketBytes ?? BROKER_DEFAULTS.maxPacketBytes,
    connectTimeoutMs: options.connectTimeoutMs ?? BROKER_DEFAULTS.connectTimeoutMs,
    serviceNames: [...(options.serviceNames ?? BROKER_DEFAULTS.serviceNames)],
    tlsPort: options.tls?.port ?? null,
    wssPort: options.tls?.wsPort ?? null,
    maxConnections: options.maxConnections ?? BROKER_DEFAULTS.maxConnections,
    connectRatePerAddress: options.connectRatePerAddress ?? BROKER_DEFAULTS.connectRatePerAddress,
    connectBurstPerAddress: options.connectBurstPerAddress ?? BROKER_DEFAULTS.connectBurstPerAddress,
    publishRatePerKiosk: options.publishRatePerKiosk ?? BROKER_DEFAULTS.publishRatePerKiosk,
    publishBurstPerKiosk: options.publishBurstPerKiosk ?? BROKER_DEFAULTS.publishBurstPerKiosk,
    offlineQueueMaxMessages: options.offlineQueueMaxMessages ?? BROKER_DEFAULTS.offlineQueueMaxMessages,
    maxRefusalsPerConnection: options.maxRefusalsPerConnection ?? BROKER_DEFAULTS.maxRefusalsPerConnection,
    clusterRedisUrl: options.clusterRedisUrl ?? null,
    proxyProtocol: options.proxyProtocol ?? false,
  });
  if (!parsed.success)
    throw new BrokerOptionsError(`invalid broker options: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return Object.freeze({ ...options, ...parsed.data, serviceNames: new Set(parsed.data.serviceNames) });
}

function countRejections(log: Logger, forward: RejectionListener | undefined) {
  const counts = Object.fromEntries(REJECTION_REASONS.map((reason) => [reason, 0])) as Record<RejectionReason, number>;
  const count = (reason: RejectionReason) => void (counts[reason] += 1);
  /** Logged and handed on (to the dead letters): one line and one row per call. */
  const record = (rejection: Rejection): void => {
    log.warn({ rejection }, rejection.detail);
    try {
      forward?.(rejection);
    } catch (error) {
      log.error({ err: error }, 'onRejected listener threw');
    }
  };
  const onRejected = (rejection: Rejection): void => {
    count(rejection.reason);
    record(rejection);
  };
  return { counts, count, record, onRejected };
}

/**
 * Keeps which clients, and which kiosks, hold a live session, surviving takeovers by a newer
 * connection ([MQTT-3.1.4-2]). aedes' own `connectedClients` and session map drift when
 * connections with one client id race each other (a takeover's close deletes the newer entry),
 * so sessions are counted here, and a closed one is dropped whenever it is looked at.
 */
function trackClients(aedes: Aedes, principalOf: (client: Client) => Principal | undefined, log: Logger) {
  const sessions = new Set<Client>();
  const byClientId = new Map<string, Client>();
  const kiosks = new Map<KioskId, Client>();
  // 'client' fires when aedes registers the session, before the CONNACK is written, and pairs with
  // 'clientDisconnect'; 'clientReady' comes only after queued messages were flushed.
  aedes.on('client', (client) => {
    sessions.add(client);
    byClientId.set(client.id, client);
    const principal = principalOf(client);
    if (principal?.kind === 'kiosk') kiosks.set(principal.kioskId, client);
    log.debug({ clientId: client.id, principal }, 'client connected');
  });
  aedes.on('clientDisconnect', (client) => {
    sessions.delete(client);
    if (byClientId.get(client.id) === client) byClientId.delete(client.id);
    const principal = principalOf(client);
    if (principal?.kind === 'kiosk' && kiosks.get(principal.kioskId) === client) kiosks.delete(principal.kioskId);
    log.debug({ clientId: client.id, principal }, 'client disconnected');
  });
  // Persistence failures surface as 'error' on the broker; unhandled, they would end the process.
  (aedes as EventEmitter).on('error', (error: unknown) => log.error({ err: error }, 'broker error'));
  const prune = () => {
    for (const client of sessions) if (client.closed) sessions.delete(client);
    for (const [kioskId, client] of kiosks) if (client.closed) kiosks.delete(kioskId);
    for (const [clientId, client] of byClientId) if (client.closed) byClientId.delete(clientId);
  };
  return {
    /** Every live session of a kiosk: normally one, but aedes may briefly hold two during a takeover. */
    sessionsOf(kioskId: KioskId): Client[] {
      prune();
      return [...sessions].filter((client) => {
        const principal = principalOf(client);
        return principal?.kind === 'kiosk' && principal.kioskId === kioskId;
      });
    },
    /** Whether a session with this client id is live (the newest one registered). */
    isOnline(clientId: string): boolean {
      return byClientId.get(clientId)?.closed === false;
    },
    kiosk(kioskId: KioskId): Client | undefined {
      const client = kiosks.get(kioskId);
      return client?.closed === false ? client : undefined;
    },
    counts() {
      prune();
      return { connectedClients: sessions.size, connectedKiosks: kiosks.size };
    },
  };
}

/** Errors that are the network's doing (a reset, a timeout), not the client breaking the protocol. */
const BENIGN_CLIENT_ERRORS = new Set(['keep alive timeout', 'connect did not arrive in time', 'drain timeout']);

/**
 * Counts what aedes and its packet parser refuse on their own (bad header flags, reserved packet
 * types, a second CONNECT, a wildcard in a PUBLISH topic…) as `protocol_violation`: aedes closes
 * such a connection and reports it as a client or connection error. Policy refusals were counted
 * where they were made; socket errors (they carry a `code`) are not the client's protocol.
 */
function countProtocolViolations(aedes: Aedes, onRejected: RejectionListener, log: Logger): void {
  const onError = (client: Client, error: Error) => {
    const isSocketError = typeof (error as { code?: unknown }).code === 'string';
    if (error instanceof PolicyRefusal || isSocketError || BENIGN_CLIENT_ERRORS.has(error.message)) {
      log.debug({ clientId: client.id, err: error }, 'client connection ended by an error');
      return;
    }
    onRejected({
      reason: 'protocol_violation',
      ...(client.id ? { clientId: client.id } : {}),
      address: addressOf(client.conn),
      detail: `connection closed: ${error.message}`,
    });
  };
  aedes.on('clientError', onError);
  aedes.on('connectionError', onError);
}

/**
 * Disconnects a machine as soon as its credentials change (rotation, revocation). A connection
 * whose token was checked before the change but whose session registers after it (the check and
 * the registration are asynchronous) is closed as it registers. Returns the unsubscribe function.
 */
function watchCredentialChanges(
  aedes: Aedes,
  policy: Pick<ReturnType<typeof createPolicy>, 'principalOf' | 'checkedAt'>,
  watch: BrokerOptions['watchCredentials'],
  disconnect: (kioskId: KioskId, why: string) => boolean,
): (() => void) | undefined {
  if (watch === undefined) return undefined;
  const changedAt = new Map<KioskId, number>();
  aedes.on('client', (client) => {
    const principal = policy.principalOf(client);
    if (principal?.kind !== 'kiosk') return;
    const changed = changedAt.get(principal.kioskId);
    if (changed !== undefined && (policy.checkedAt(client) ?? -Infinity) <= changed) client.close();
  });
  return watch((kioskId) => {
    changedAt.set(kioskId, performance.now());
    disconnect(kioskId, 'its credentials changed');
  });
}

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()));
}

type ResolvedSettings = ReturnType<typeof resolveOptions>;

async function startListeners(settings: ResolvedSettings, base: Omit<ListenerOptions, 'port'>) {
  const started: { close(): Promise<void> }[] = [];
  const start = async <T extends { close(): Promise<void> }>(listener: Promise<T>): Promise<T> => {
    const running = await listener;
    started.push(running);
    return running;
  };
  const tls = settings.tls;
  try {
    const tcp = await start(startTcpListener({ ...base, port: settings.port, proxyProtocol: settings.proxyProtocol }));
    const ws = settings.wsPort === null ? null : await start(startWebSocketListener({ ...base, port: settings.wsPort }));
    const secure = tls === undefined ? null : { ...base, tls };
    const mqtts =
      secure === null || settings.tlsPort === null ? null : await start(startTcpListener({ ...secure, port: settings.tlsPort }));
    const wss =
      secure === null || settings.wssPort === null
        ? null
        : await start(startWebSocketListener({ ...secure, port: settings.wssPort }));
    return { tcp, ws, mqtts, wss, all: started };
  } catch (error) {
    await Promise.all(started.map((listener) => listener.close()));
    throw error;
  }
}

/** The aedes hooks that carry this platform's policy: who may connect, publish (how much) and subscribe. */
function createPolicy(settings: ResolvedSettings, onRejected: RejectionListener, budget: RefusalBudget) {
  const auth = createAuthenticator({
    topics: settings.topics,
    serviceNames: settings.serviceNames,
    verifyKioskToken: settings.verifyKioskToken,
    verifyServiceToken: settings.verifyServiceToken,
    onRejected,
  });
  const acl = createAcl({
    topics: settings.topics,
    principalOf: auth.principalOf,
    onRejected: (rejection, client) => (client ? budget.refuse(client, rejection) : onRejected(rejection)),
  });
  const authorizePublish = withPublishBudget(acl.authorizePublish, {
    ratePer10s: settings.publishRatePerKiosk,
    burst: settings.publishBurstPerKiosk,
    principalOf: auth.principalOf,
    onRejected,
  });
  return {
    principalOf: auth.principalOf,
    checkedAt: auth.checkedAt,
    hooks: {
      preConnect: auth.preConnect,
      authenticate: auth.authenticate,
      authorizePublish,
      authorizeSubscribe: acl.authorizeSubscribe,
    },
  };
}

/** Bounds the queues of offline persistent sessions; logs the first drop and each tenfold after. */
function boundQueues(aedes: Aedes, maxPerClient: number, isOnline: (clientId: string) => boolean, log: Logger) {
  let dropped = 0;
  return boundOfflineQueues(persistenceOf(aedes), {
    maxPerClient,
    isOnline,
    onDrop(clientId, topic) {
      dropped += 1;
      if (Number.isInteger(Math.log10(dropped)))
        log.warn(
          { clientId, topic, dropped, maxPerClient },
          `queue of offline session ${clientId} full: ${dropped} messages dropped`,
        );
    },
  });
}

/**
 * Starts the embedded MQTT 3.1.1 broker (aedes): kiosk and service credentials, per-kiosk topic
 * ACL and publish budget, connection cap and per-address rate, frame-size and CONNECT guards on
 * TCP and (optionally) WebSocket and TLS listeners, and bounded queues for offline sessions.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const settings = resolveOptions(options);
  const log = settings.logger.child({ component: 'broker' });
  const rejections = countRejections(log, settings.onRejected);
  const budget = createRefusalBudget({
    maxPerConnection: settings.maxRefusalsPerConnection,
    recordedPerReason: REFUSAL_BUDGET_DEFAULTS.recordedPerReason,
    count: rejections.count,
    record: rejections.record,
  });
  const policy = createPolicy(settings, rejections.onRejected, budget);
  const messaging: RedisMessaging | null =
    settings.clusterRedisUrl === null ? null : createRedisMessaging({ url: settings.clusterRedisUrl, logger: settings.logger });
  // Unreachable at start is a setting to fix, not an outage to ride out: the start fails, saying so.
  await messaging?.ready().catch(async (error: unknown) => {
    await messaging.close();
    throw error;
  });
  const aedes = await Aedes.createBroker({
    connectTimeout: settings.connectTimeoutMs,
    drainTimeout: DRAIN_TIMEOUT_MS,
    ...(messaging ? { persistence: messaging.persistence, mq: messaging.mq } : {}),
    ...policy.hooks,
  }).catch(async (error: unknown) => {
    await messaging?.close();
    throw error;
  });
  const clients = trackClients(aedes, policy.principalOf, log);
  aedes.on('clientDisconnect', (client) => budget.ended(client));
  countProtocolViolations(aedes, rejections.onRejected, log);
  const offlineQueue = boundQueues(aedes, settings.offlineQueueMaxMessages, clients.isOnline, log);
  const gate = new ConnectionGate({
    maxConnections: settings.maxConnections,
    connectRatePerAddress: settings.connectRatePerAddress,
    connectBurstPerAddress: settings.connectBurstPerAddress,
    onRejected: rejections.onRejected,
  });
  const guard = {
    maxPacketBytes: settings.maxPacketBytes,
    connectTimeoutMs: settings.connectTimeoutMs,
    onRejected: rejections.onRejected,
  };
  const handle: ListenerOptions['handle'] = (stream, request) => void aedes.handle(stream, request);
  const listeners = await startListeners(settings, { host: settings.host, guard, gate, handle }).catch(async (error: unknown) => {
    await closeAedes(aedes);
    await messaging?.close();
    throw error;
  });
  const ports = {
    port: listeners.tcp.port,
    wsPort: listeners.ws?.port ?? null,
    tlsPort: listeners.mqtts?.port ?? null,
    wssPort: listeners.wss?.port ?? null,
  };
  log.info({ host: settings.host, ...ports }, 'broker listening');

  const disconnectKiosk = (kioskId: KioskId, why: string): boolean => {
    const sessions = clients.sessionsOf(kioskId);
    if (sessions.length > 0) log.info({ kioskId }, `disconnecting kiosk ${kioskId}: ${why}`);
    for (const client of sessions) client.close();
    return sessions.length > 0;
  };
  const unwatch = watchCredentialChanges(aedes, policy, settings.watchCredentials, disconnectKiosk);

  let stopping: Promise<void> | undefined;
  return {
    ...ports,
    aedes,
    stats: () => ({
      ...clients.counts(),
      openConnections: gate.openConnections,
      rejectionsByReason: { ...rejections.counts },
      offlineQueue: offlineQueue(),
      cluster: messaging?.health() ?? null,
    }),
    isKioskConnected: (kioskId) => clients.kiosk(kioskId) !== undefined,
    canReachKiosk: (kioskId) => messaging === null || messaging.health().state === 'ok' || clients.kiosk(kioskId) !== undefined,
    disconnectKiosk,
    stop() {
      // Listeners first: no new connection can arrive while aedes closes its clients.
      stopping ??= Promise.resolve(unwatch?.())
        .then(() => Promise.all(listeners.all.map((listener) => listener.close())))
        .then(() => closeAedes(aedes))
        .then(() => messaging?.close())
        .then(() => log.info('broker stopped'));
      return stopping;
    },
  };
}
