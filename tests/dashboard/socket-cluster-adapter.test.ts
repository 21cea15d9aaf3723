import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, test } from 'vitest';
import { createSocketClusterAdapter, type SocketClusterAdapter } from '../../dashboard/socket-cluster-adapter.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';

describe.skipIf(skipWithoutRedis)('socket.io across nodes through Redis (CLUSTER_REDIS_URL)', () => {
  const redis = useRedis();
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function startNode(): Promise<{ io: Server; port: number; adapter: SocketClusterAdapter }> {
    const adapter = createSocketClusterAdapter({ url: redis.url, logger: pino({ level: 'silent' }) });
    const http: HttpServer = createServer();
    const io = new Server(http, { adapter: adapter.adapter });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      await io.close();
      await adapter.close();
    });
    return { io, port: (http.address() as AddressInfo).port, adapter };
  }

  async function connectTo(port: number): Promise<Socket> {
    const socket = connectClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
    closers.push(async () => void socket.disconnect());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  }

  test('a push emitted on node A reaches a browser connected to node B', async () => {
    const [a, b] = [await startNode(), await startNode()];
    const browser = await connectTo(b.port);
    const received: unknown[] = [];
    browser.on('events', (events: unknown) => received.push(events));
    // The subscription of node B's adapter may be a moment behind its start: push until it arrives.
    await expect
      .poll(() => {
        a.io.emit('events', [{ id: 'e1' }]);
        return received.length;
      })
      .toBeGreaterThan(0);
    expect(received[0]).toEqual([{ id: 'e1' }]);
  });

  test('with Redis away a push still reaches the browsers on its own node, and no error escapes', async () => {
    const a = await startNode();
    const browser = await connectTo(a.port);
    const received: unknown[] = [];
    browser.on('events', (events: unknown) => received.push(events));
    await redis.stopServer();
    try {
      // Once the node has noticed (on a busy machine the closed socket is seen a moment later).
      await expect.poll(() => a.adapter.isReachable()).toBe(false);
      a.io.emit('events', [{ id: 'local' }]);
      await expect.poll(() => received).toEqual([[{ id: 'local' }]]);
      await expect.poll(() => a.adapter.notBroadcast()).toBeGreaterThan(0);
    } finally {
      await redis.startServer();
    }
  });
});
