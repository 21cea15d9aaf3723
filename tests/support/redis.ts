import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { REDIS_SERVER, type RedisServer, startRedisServer, type TestRedis } from './redis-server.js';

// The server's starter lives in ./redis-server.ts (no vitest, so benches use it too).
export * from './redis-server.js';

/**
 * Whether a Redis-backed suite is skipped: only when the binary is missing outside CI. In CI (`CI`
 * set) a missing binary fails the suite in its beforeAll instead, so it cannot pass unrun.
 */
export const skipWithoutRedis = !existsSync(REDIS_SERVER) && !process.env.CI;
if (skipWithoutRedis) console.warn(`Redis tests skipped: ${REDIS_SERVER} not found (apt-get install redis-server)`);

/**
 * Starts a Redis server in beforeAll of the enclosing describe and ends it in afterAll, even when a
 * test or the start failed. Use inside `describe.skipIf(skipWithoutRedis)(…)`.
 */
export function useRedis(): TestRedis {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  const started = (): RedisServer => {
    if (!server) throw new Error('the Redis server is not running (beforeAll failed or has not run)');
    return server;
  };
  return {
    get port() {
      return started().port;
    },
    get url() {
      return started().url;
    },
    stopServer: () => started().stopServer(),
    startServer: () => started().startServer(),
  };
}
