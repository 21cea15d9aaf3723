import type net from 'node:net';
import { afterEach, describe, expect, test, onTestFinished } from 'vitest';
import { closeOf, collectMessages, encodeRemainingLength, KIOSK_A, startHarness, topics, type Harness } from './harness.js';

const MIB = 1024 * 1024;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Heap plus Buffer memory: what a broker buffering a packet body would grow. */
function usedBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Highest memory seen from now until `stop()`, sampled on a timer and at both ends. */
function trackPeakMemory(): { stop(): number } {
  let peak = usedBytes();
  const timer = setInterval(() => (peak = Math.max(peak, usedBytes())), 5);
  // Stopped with the test even when it fails before calling stop().
  onTestFinished(() => clearInterval(timer));
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, usedBytes());
    },
  };
}

/** Resolves when the broker closed the socket (reset or FIN; events.once would reject on the reset). */
async function expectClosedByBroker(socket: net.Socket): Promise<void> {
  if (!socket.closed) await new Promise((resolve) => socket.once('close', resolve));
  expect(socket.destroyed).toBe(true);
}

describe('frame guard on a live broker', () => {
  test('CONNECTs announcing 100 MiB on six sockets at once are cut off at the header without growing memory', async () => {
    harness = await startHarness();
    const bystander = await harness.connectService();
    await bystander.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });
    const received = collectMessages(bystander);

    const header = Buffer.from([0x10, ...encodeRemainingLength(100 * MIB)]);
    // One shared chunk: the sockets' write queues hold references, so the client side of this test
    // adds no memory of its own and any growth would be the broker's.
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const sockets = await Promise.all(Array.from({ length: 6 }, () => harness!.rawSocket()));
    const baseline = usedBytes();
    const peak = trackPeakMemory();
    for (const socket of sockets) {
      socket.write(header);
      for (let sent = 0; sent < 8 * MIB; sent += chunk.length) socket.write(chunk);
    }
    await Promise.all(sockets.map(expectClosedByBroker));
    const growthBytes = peak.stop() - baseline;

    expect(growthBytes).toBeLessThan(20 * MIB);
    expect(harness.rejectionsFor('packet_too_large')).toHaveLength(6);
    expect(harness.rejectionsFor('packet_too_large')[0]).toMatchObject({
      address: expect.stringContaining('127.0.0.1'),
    });

    // The client that was connected all along still publishes and receives.
    expect(bystander.connected).toBe(true);
    const kiosk = await harness.connectKiosk(KIOSK_A);
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), '{"id":"e1"}', { qos: 1 });
    await expect.poll(() => received.map((message) => message.payload)).toEqual(['{"id":"e1"}']);
  });

  test('a connection whose first packet is not CONNECT is closed at its first byte', async () => {
    harness = await startHarness();
    const socket = await harness.rawSocket();
    socket.write(Buffer.from([0xc0, 0x00])); // PINGREQ
    await expectClosedByBroker(socket);
    expect(harness.rejectionsFor('first_packet_not_connect')).toHaveLength(1);
  });

  test('a connection that sends nothing is closed after the CONNECT timeout', async () => {
    harness = await startHarness({ connectTimeoutMs: 200 });
    const socket = await harness.rawSocket();
    await expectClosedByBroker(socket);
    expect(harness.rejectionsFor('connect_timeout')).toHaveLength(1);
  });

  test('a CONNECT that never completes is closed after the CONNECT timeout', async () => {
    harness = await startHarness({ connectTimeoutMs: 200 });
    const socket = await harness.rawSocket();
    socket.write(Buffer.from([0x10, 40, 0x00, 0x04])); // 4 of 40 announced bytes
    await expectClosedByBroker(socket);
    expect(harness.rejectionsFor('connect_timeout')).toHaveLength(1);
  });

  test('clients that completed CONNECT in time outlive the CONNECT timeout', async () => {
    harness = await startHarness({ connectTimeoutMs: 200 });
    const kiosk = await harness.connectKiosk(KIOSK_A);
    const service = await harness.connectService();
    // A silent socket opened after them is timed out later than their own timers would have fired.
    const silent = await harness.rawSocket();
    await expectClosedByBroker(silent);
    expect(harness.rejectionsFor('connect_timeout')).toHaveLength(1);
    expect(kiosk.connected && service.connected).toBe(true);
    expect(harness.broker.stats()).toMatchObject({ connectedClients: 2, connectedKiosks: 1 });
  });

  test('a Remaining Length with a fifth varint byte is closed as malformed', async () => {
    harness = await startHarness();
    const socket = await harness.rawSocket();
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]));
    await expectClosedByBroker(socket);
    expect(harness.rejectionsFor('malformed_header')).toHaveLength(1);
  });

  test('an oversize PUBLISH after a good CONNECT closes that client only', async () => {
    harness = await startHarness({ maxPacketBytes: 4096 });
    const bystander = await harness.connectKiosk(KIOSK_A);
    const service = await harness.connectService();
    const closed = closeOf(service);
    service.publish('kiosks/fleet/big', Buffer.alloc(5000), { qos: 0 });
    await closed;
    expect(harness.rejectionsFor('packet_too_large')).toHaveLength(1);
    expect(bystander.connected).toBe(true);
    expect(harness.broker.isKioskConnected(KIOSK_A)).toBe(true);
  });
});
