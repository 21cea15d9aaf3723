import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/*
 * How brokers on several nodes share routing: aedes' message bus (mqemitter) and its persistence
 * (subscriptions, retained messages, wills, sessions) both in one Redis. Both packages are made for
 * aedes 1.x: aedes-persistence-redis 11.2 (aedes 1.2 declares ^11.2.1 as its optional peer; 12.0
 * fails `npm install` with ERESOLVE) and mqemitter-redis 7.2, both on ioredis 5.
 */

const require = createRequire(import.meta.url);

interface AedesRedisPersistence {
  setup(broker: unknown): Promise<void>;
  destroy(): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown>;
}

/** mqemitter-redis, with the parts it keeps to itself that the local-first emit needs. */
interface RedisEmitter {
  emit(message: { topic: string }, done?: (error?: Error) => void): unknown;
  _emit(message: object, done?: (error?: Error) => void): void;
  _cache: { set(id: string, value: true): void };
  readonly closed: boolean;
  closing?: boolean;
  state: NodeJS.EventEmitter;
  close(done: () => void): unknown;
  _close(done: () => void): void;
}

// The package's main export wraps the persistence in callbacks for aedes 0.x; aedes 1.x awaits
// `setup()` and refuses anything else, so the async class is used directly.
const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (options: {
  conn: Redis;
}) => AedesRedisPersistence;
const MQEmitterRedis = require('mqemitter-redis') as new (options: object) => RedisEmitter;
// mqemitter-redis' own dependencies: its wire format ({id, msg} in msgpack) and its ids.
const msgpack = require('msgpack-lite') as { encode(value: unknown): Buffer };
const hyperid = (require('hyperid') as () => () => string)();

export class RedisUnreachableError extends Error {
  readonly code = 'BROKER_CLUSTER_REDIS_UNREACHABLE';
}

/** The URL as logs and errors may show it. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export interface RedisMessagingOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** aedes' delivery concurrency (its default, 100). */
  concurrency?: number;
  logger: Logger;
}

export interface RedisMessagingHealth {
  state: 'ok' | 'degraded';
  detail: string;
  /** Messages published on this node that could not be passed on to the other nodes (Redis was away). */
  notBroadcast: number;
}

export interface RedisMessaging {
  /** aedes' `persistence` option. */
  readonly persistence: AedesRedisPersistence;
  /** aedes' `mq` option. */
  readonly mq: RedisEmitter;
  health(): RedisMessagingHealth;
  /** Resolves once every connection is ready; rejects at the first connection error (Redis unreachable at start). */
  ready(): Promise<void>;
  /** Closes the persistence's connection and, if aedes has not, the bus's. */
  close(): Promise<void>;
}

/**
 * Waits between reconnection attempts at most a second: an outage ends within a second of Redis'
 * return, and a dead Redis costs each connection one attempt a second.
 */
const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1_000);

/** Own messages remembered until Redis echoes them back: well over a second of a busy node's traffic. */
const ECHO_CACHE_ENTRIES = 200_000;

/**
 * mqemitter-redis as it ships delivers nothing locally until Redis echoes the message back: with
 * Redis away, a machine's events would not reach this node's collector, nor its acks the machine,
 * although both are connected here (ioredis holds the publish in its offline queue, and fails it
 * after 20 reconnection attempts). This emitter delivers to the local subscribers at once, then
 * broadcasts to the other nodes; the echo is dropped by the id cache mqemitter-redis keeps for
 * that. While Redis is away the broadcast fails at once (no offline queue on the publishing
 * connection) and is counted: routing to other nodes is lost for that time, local traffic is not.
 */
function createLocalFirstEmitter(
  connections: { pubConn: Redis; subConn: Redis },
  concurrency: number,
  onNotBroadcast: (error: Error) => void,
): RedisEmitter {
  const emitter = new MQEmitterRedis({
    ...connections,
    concurrency,
    matchEmptyLevels: true, // [MQTT-4.7.1-3], as aedes' own default emitter
    maxLRUCache: ECHO_CACHE_ENTRIES,
  });
  emitter.emit = function emitLocallyThenBroadcast(message, done) {
    const id = hyperid();
    emitter._cache.set(id, true);
    emitter._emit(message, done);
    if (emitter.closed) return emitter;
    connections.pubConn.publish(message.topic, msgpack.encode({ id, msg: message })).catch(onNotBroadcast);
    return emitter;
  };
  // mqemitter-redis closes with QUIT, which fails as an unhandled rejection while Redis is away
  // (at once without an offline queue, after 20 attempts with one): disconnect instead.
  emitter.close = function closeWithoutQuit(done) {
    if (emitter.closed || emitter.closing) return done();
    emitter.closing = true;
    connections.pubConn.disconnect();
    connections.subConn.disconnect();
    emitter._close(done);
  };
  return emitter;
}

/**
 * aedes 1.2 pipes what `createRetainedStreamCombi` returns (`stream.pipe(...)`), but this
 * persistence returns an async generator (measured: "stream.pipe is not a function" on the first
 * SUBSCRIBE that has retained messages to match). A Readable over it fits both aedes and the
 * embedded collector; its error (Redis away) is logged, where an unhandled one would end the process.
 */
function pipeRetainedStreams(persistence: AedesRedisPersistence, log: Logger): void {
  const combi = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) =>
    Readable.from(combi(patterns)).on('error', (error) =>
      log.warn({ err: error, patterns }, 'retained messages not read from Redis'),
    );
}

/**
 * The Redis-backed persistence and message bus for an aedes broker that is one node of several.
 * Redis errors never end the process: ioredis reconnects by itself, and every error event
 * (mqemitter-redis re-emits its connections' errors on a `state` emitter, which throws when nobody
 * listens) is handled and logged once per outage; the health says `degraded` meanwhile.
 */
export function createRedisMessaging(options: RedisMessagingOptions): RedisMessaging {
  const log = options.logger.child({ component: 'broker-cluster' });
  const connect = (extra: RedisOptions) => new Redis(options.url, { retryStrategy, ...extra });
  // Persistence calls (a retained status, a will, a subscription) wait for Redis for a few attempts
  // and then fail; aedes then refuses that one packet or connection, not the whole node.
  const conn = connect({ maxRetriesPerRequest: 3 });
  const pubConn = connect({ enableOfflineQueue: false, enableAutoPipelining: true });
  const subConn = connect({});
  const connections = [pubConn, subConn, conn];
  let notBroadcast = 0;
  let lastError: string | null = null;
  const mq = createLocalFirstEmitter({ pubConn, subConn }, options.concurrency ?? 100, (error) => {
    notBroadcast += 1;
    if (Number.isInteger(Math.log10(notBroadcast)))
      log.warn({ err: error, notBroadcast }, `${notBroadcast} messages delivered on this node only: Redis is unreachable`);
  });
  const persistence = new AsyncRedisPersistence({ conn });
  pipeRetainedStreams(persistence, log);
  const isUp = () => connections.every((connection) => connection.status === 'ready');
  let isOutage = false;
  const onError = (error: Error) => {
    lastError = error.message;
    if (isOutage) return;
    isOutage = true;
    log.error({ err: error }, 'Redis unreachable: this node serves its own machines only until it returns');
  };
  mq.state.on('error', onError);
  for (const connection of connections) {
    connection.on('error', onError);
    connection.on('ready', () => {
      if (!isOutage || !isUp()) return;
      isOutage = false;
      log.info('Redis reachable again: routing between nodes restored');
    });
  }
  return {
    persistence,
    mq,
    ready: () =>
      Promise.all(
        connections.map(
          (connection) =>
            new Promise<void>((resolve, reject) => {
              if (connection.status === 'ready') return resolve();
              connection.once('ready', () => resolve());
              connection.once('error', (error: Error) =>
                reject(
                  new RedisUnreachableError(`Redis at ${withoutPassword(options.url)} unreachable: ${error.message}`, {
                    cause: error,
                  }),
                ),
              );
            }),
        ),
      ).then(() => undefined),
    health() {
      if (isUp()) return { state: 'ok', detail: 'Redis reachable: routing shared with the other nodes', notBroadcast };
      return {
        state: 'degraded',
        detail: `Redis unreachable${lastError ? ` (${lastError})` : ''}: this node serves its own machines only; messages for machines on other nodes are not delivered`,
        notBroadcast,
      };
    },
    async close() {
      await persistence.destroy().catch((error: unknown) => log.warn({ err: error }, 'closing the Redis persistence failed'));
      // aedes closed the bus's connections if it ever started; if it did not (Redis unreachable at
      // start), they would retry for ever and keep the process alive.
      for (const connection of connections) connection.disconnect();
    },
  };
}
