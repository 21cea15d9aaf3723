import type { EventEmitter } from 'node:events';
import { Aedes, type Client } from 'aedes';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { KioskId, Topics } from '../protocol/topics.js';
import { createAcl } from './acl.js';
import { createAuthenticator, type Principal } from './auth.js';
import { MAX_REMAINING_LENGTH } from './frame-guard.js';
import { startTcpListener, startWebSocketListener, type ListenerOptions } from './listeners.js';
import { REJECTION_REASONS, type Rejection, type RejectionListener, type RejectionReason } from './rejection.js';

export interface BrokerOptions {
  topics: Topics;
  /** Interface to listen on. Default `127.0.0.1`: exposing the broker is a deliberate choice. */
  host?: string;
  /** MQTT over TCP; 0 picks a free port. */
  port: number;
  /** MQTT over WebSocket at `/mqtt`; `null` (default) for none, 0 picks a free port. */
  wsPort?: number | null;
  /** Largest Remaining Length of any packet. Default 262,144 (256 KiB). */
  maxPacketBytes?: number;
  /** Time allowed from accepting a connection to a complete CONNECT. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** User names of services; any other user name must be a kiosk id. Default collector, dashboard. */
  serviceNames?: readonly string[];
  verifyKioskToken(kioskId: KioskId, token: Buffer): boolean;
  verifyServiceToken(username: string, token: Buffer): boolean;
  /** Called for every refusal, after it was counted and logged. */
  onRejected?: RejectionListener;
  logger: Logger;
}

export interface BrokerStats {
  connectedClients: number;
  connectedKiosks: number;
  rejectionsByReason: Record<RejectionReason, number>;
}

export interface RunningBroker {
  readonly port: number;
  readonly wsPort: number | null;
  stats(): BrokerStats;
  isKioskConnected(kioskId: KioskId): boolean;
  /** Closes the listeners (and every connection), then the broker. Safe to call twice. */
  stop(): Promise<void>;
}

export const BROKER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  wsPort: null,
  maxPacketBytes: 256 * 1024,
  connectTimeoutMs: 10_000,
  serviceNames: Object.freeze(['collector', 'dashboard']),
});

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
});

function resolveOptions(options: BrokerOptions) {
  const parsed = settingsSchema.safeParse({
    host: options.host ?? BROKER_DEFAULTS.host,
    port: options.port,
    wsPort: options.wsPort === undefined ? BROKER_DEFAULTS.wsPort : options.wsPort,
    maxPacketBytes: options.maxPacketBytes ?? BROKER_DEFAULTS.maxPacketBytes,
    connectTimeoutMs: options.connectTimeoutMs ?? BROKER_DEFAULTS.connectTimeoutMs,
    serviceNames: [...(options.serviceNames ?? BROKER_DEFAULTS.serviceNames)],
  });
  if (!parsed.success)
    throw new BrokerOptionsError(`invalid broker options: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return Object.freeze({ ...options, ...parsed.data, serviceNames: new Set(parsed.data.serviceNames) });
}

function countRejections(log: Logger, forward: RejectionListener | undefined) {
  const counts = Object.fromEntries(REJECTION_REASONS.map((reason) => [reason, 0])) as Record<RejectionReason, number>;
  const onRejected = (rejection: Rejection): void => {
    counts[rejection.reason] += 1;
    log.warn({ rejection }, rejection.detail);
    try {
      forward?.(rejection);
    } catch (error) {
      log.error({ err: error }, 'onRejected listener threw');
    }
  };
  return { counts, onRejected };
}

/** Keeps which kiosks hold a live session, surviving takeovers by a newer connection ([MQTT-3.1.4-2]). */
function trackClients(aedes: Aedes, principalOf: (client: Client) => Principal | undefined, log: Logger) {
  const kiosks = new Map<KioskId, Client>();
  // 'client' fires when aedes registers the session, before the CONNACK is written, and pairs with
  // 'clientDisconnect'; 'clientReady' comes only after queued messages were flushed.
  aedes.on('client', (client) => {
    const principal = principalOf(client);
    if (principal?.kind === 'kiosk') kiosks.set(principal.kioskId, client);
    log.debug({ clientId: client.id, principal }, 'client connected');
  });
  aedes.on('clientDisconnect', (client) => {
    const principal = principalOf(client);
    if (principal?.kind === 'kiosk' && kiosks.get(principal.kioskId) === client) kiosks.delete(principal.kioskId);
    log.debug({ clientId: client.id, principal }, 'client disconnected');
  });
  aedes.on('clientError', (client, error) =>
    log.debug({ clientId: client.id, err: error }, 'client connection ended by an error'),
  );
  aedes.on('connectionError', (_client, error) => log.debug({ err: error }, 'connection ended before CONNECT completed'));
  // Persistence failures surface as 'error' on the broker; unhandled, they would end the process.
  (aedes as EventEmitter).on('error', (error: unknown) => log.error({ err: error }, 'broker error'));
  return kiosks;
}

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()));
}

async function startListeners(settings: ReturnType<typeof resolveOptions>, base: Omit<ListenerOptions, 'port'>) {
  const tcp = await startTcpListener({ ...base, port: settings.port });
  if (settings.wsPort === null) return { tcp, ws: null };
  try {
    return { tcp, ws: await startWebSocketListener({ ...base, port: settings.wsPort }) };
  } catch (error) {
    await tcp.close();
    throw error;
  }
}

/** The aedes hooks that carry this platform's policy: who may connect, publish and subscribe. */
function createPolicy(settings: ReturnType<typeof resolveOptions>, onRejected: RejectionListener) {
  const auth = createAuthenticator({
    topics: settings.topics,
    serviceNames: settings.serviceNames,
    verifyKioskToken: settings.verifyKioskToken,
    verifyServiceToken: settings.verifyServiceToken,
    onRejected,
  });
  const acl = createAcl({ topics: settings.topics, principalOf: auth.principalOf, onRejected });
  return {
    principalOf: auth.principalOf,
    hooks: { preConnect: auth.preConnect, authenticate: auth.authenticate, ...acl },
  };
}

/**
 * Starts the embedded MQTT 3.1.1 broker (aedes): kiosk and service credentials, per-kiosk topic
 * ACL, frame-size and CONNECT guards on TCP and (optionally) WebSocket listeners.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const settings = resolveOptions(options);
  const log = settings.logger.child({ component: 'broker' });
  const rejections = countRejections(log, settings.onRejected);
  const policy = createPolicy(settings, rejections.onRejected);
  const aedes = await Aedes.createBroker({
    connectTimeout: settings.connectTimeoutMs,
    drainTimeout: DRAIN_TIMEOUT_MS,
    ...policy.hooks,
  });
  const kiosks = trackClients(aedes, policy.principalOf, log);
  const guard = {
    maxPacketBytes: settings.maxPacketBytes,
    connectTimeoutMs: settings.connectTimeoutMs,
    onRejected: rejections.onRejected,
  };
  const handle: ListenerOptions['handle'] = (stream, request) => void aedes.handle(stream, request);
  const listeners = await startListeners(settings, { host: settings.host, guard, handle }).catch(async (error: unknown) => {
    await closeAedes(aedes);
    throw error;
  });
  log.info({ host: settings.host, port: listeners.tcp.port, wsPort: listeners.ws?.port ?? null }, 'broker listening');

  let stopping: Promise<void> | undefined;
  return {
    port: listeners.tcp.port,
    wsPort: listeners.ws?.port ?? null,
    stats: () => ({
      connectedClients: aedes.connectedClients,
      connectedKiosks: kiosks.size,
      rejectionsByReason: { ...rejections.counts },
    }),
    isKioskConnected: (kioskId) => kiosks.has(kioskId),
    stop() {
      // Listeners first: no new connection can arrive while aedes closes its clients.
      stopping ??= Promise.all([listeners.tcp.close(), listeners.ws?.close()])
        .then(() => closeAedes(aedes))
        .then(() => log.info('broker stopped'));
      return stopping;
    },
  };
}
