import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * socket.io across nodes: with the Redis adapter, a push emitted on one node (`io.emit`, a room's
 * `disconnectSockets` when a session ends) reaches the browsers connected to every node. Redis
 * pub/sub only: nothing is kept, so a browser that was away reloads its snapshot as it does now.
 */
export interface SocketClusterAdapter {
  /** socket.io's `adapter` option. */
  readonly adapter: ReturnType<typeof createAdapter>;
  /** Pushes not passed on to the other nodes since start (Redis away). */
  notBroadcast(): number;
  /** Whether both connections to Redis are up. */
  isReachable(): boolean;
  close(): Promise<void>;
}

/** At most a second between reconnection attempts, as the broker's Redis connections. */
const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1_000);

export function createSocketClusterAdapter(options: { url: string; logger: Logger }): SocketClusterAdapter {
  const log = options.logger.child({ component: 'socket-cluster' });
  // No offline queue on the publishing side: while Redis is away a push reaches this node's own
  // browsers at once and is not held back for the others (the next push carries the state anyway).
  // Nor are pushes in flight when the connection drops sent again later: a late push is stale.
  const pubClient = new Redis(options.url, { retryStrategy, enableOfflineQueue: false, autoResendUnfulfilledCommands: false });
  const subClient = new Redis(options.url, { retryStrategy });
  let failed = 0;
  let isOutage = false;
  for (const client of [pubClient, subClient]) {
    // Unhandled, ioredis only prints its errors; handled, they are logged once per outage.
    client.on('error', (error: Error) => {
      if (isOutage) return;
      isOutage = true;
      log.error({ err: error }, 'Redis unreachable: live pushes reach only the browsers on this node');
    });
    client.on('ready', () => {
      if (!isOutage || pubClient.status !== 'ready' || subClient.status !== 'ready') return;
      isOutage = false;
      log.info('Redis reachable again: live pushes reach every node');
    });
  }
  // The adapter does not catch what its Redis commands return: a publish failing while Redis is
  // away, or an unsubscribe cut short by the close, would be an unhandled rejection, which ends a
  // Node process.
  catchRejections(pubClient, 'publish', () => (failed += 1));
  catchRejections(subClient, 'unsubscribe', () => undefined);
  catchRejections(subClient, 'punsubscribe', () => undefined);
  return {
    adapter: createAdapter(pubClient, subClient),
    notBroadcast: () => failed,
    isReachable: () => pubClient.status === 'ready' && subClient.status === 'ready',
    async close() {
      pubClient.disconnect();
      subClient.disconnect();
    },
  };
}

function catchRejections(client: Redis, method: 'publish' | 'unsubscribe' | 'punsubscribe', onFailure: () => void): void {
  const call = (client[method] as (...args: unknown[]) => Promise<unknown>).bind(client);
  Object.assign(client, {
    [method]: (...args: unknown[]) =>
      call(...args).catch(() => {
        onFailure();
        return 0;
      }),
  });
}
