import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { connectMqttTransport } from '../../collector/mqtt-transport.js';
import type { CollectorTransport } from '../../collector/transport.js';
import { COLLECTOR, type Harness, KIOSK_A, startHarness, topics } from '../broker/harness.js';

/** MQTT 3.1.1 fixed header of a SUBSCRIBE packet: type 8, flags 0b0010. */
const SUBSCRIBE = 0x82;

/**
 * A TCP relay in front of the broker that cuts the first connection as soon as the client sends
 * SUBSCRIBE (before the broker sees it): the connection dropping while the collector subscribes.
 */
function startCuttingRelay(target: URL): Promise<{ url: string; cuts: () => number; close(): Promise<void> }> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (cuts === 0 && chunk.includes(SUBSCRIBE)) {
        cuts += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
        cuts: () => cuts,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      }),
    ),
  );
}

let h: Harness;
let relay: Awaited<ReturnType<typeof startCuttingRelay>>;
let transport: CollectorTransport | undefined;

beforeEach(async () => {
  h = await startHarness();
  relay = await startCuttingRelay(new URL(h.tcpUrl));
});
afterEach(async () => {
  await transport?.close();
  transport = undefined;
  await relay.close();
  await h.close();
});

test('a connection lost while the collector subscribes is retried after the reconnect, not fatal', async () => {
  transport = await connectMqttTransport({
    url: relay.url,
    username: COLLECTOR,
    password: h.tokens[COLLECTOR]!,
    clientId: 'collector-subscribe-cut',
    logger: pino({ level: 'silent' }),
  });
  const received: string[] = [];
  await transport.subscribe([topics.everyKiosk('events')], (topic) => received.push(topic));
  expect(relay.cuts()).toBe(1);

  // Subscribed for real: a machine's event reaches the collector.
  const kiosk = await h.connectKiosk(KIOSK_A);
  await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), JSON.stringify({ id: 'x' }), { qos: 1 });
  await expect.poll(() => received).toEqual([topics.topic(KIOSK_A, 'events')]);
  await kiosk.endAsync();
});
