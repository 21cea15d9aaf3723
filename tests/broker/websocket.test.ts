import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { collectMessages, encodeRemainingLength, KIOSK_A, startHarness, topics, type Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness({ maxPacketBytes: 64 * 1024 });
});
afterEach(async () => {
  await harness.close();
});

/** A raw WebSocket to the MQTT endpoint, for sending what mqtt.js would not. */
async function openRawWebSocket(): Promise<WebSocket> {
  const socket = new WebSocket(harness.wsUrl, 'mqtt');
  socket.on('error', () => {}); // the broker may reset it; the tests watch 'close'
  await once(socket, 'open');
  return socket;
}

describe('MQTT over WebSocket', () => {
  test('a kiosk connected over ws://…/mqtt publishes an event a TCP service receives', async () => {
    const service = await harness.connectService();
    const messages = collectMessages(service);
    await service.subscribeAsync(topics.everyKiosk('events'), { qos: 1 });
    const kiosk = await harness.connectKiosk(KIOSK_A, {}, 'ws');
    expect(harness.broker.isKioskConnected(KIOSK_A)).toBe(true);
    await kiosk.publishAsync(topics.topic(KIOSK_A, 'events'), '{"id":"e1","type":"return"}', { qos: 1 });
    await expect.poll(() => messages.map((message) => message.payload)).toEqual(['{"id":"e1","type":"return"}']);
  });

  test('the handshake selects the "mqtt" subprotocol', async () => {
    const socket = await openRawWebSocket();
    expect(socket.protocol).toBe('mqtt');
    socket.close();
  });

  test('the same ACL applies: a kiosk over WebSocket cannot subscribe to every kiosk', async () => {
    const kiosk = await harness.connectKiosk(KIOSK_A, {}, 'ws');
    await expect(kiosk.subscribeAsync(`${topics.root}/#`, { qos: 1 })).rejects.toMatchObject({
      packet: { granted: [0x80] },
    });
    expect(harness.rejectionsFor('subscribe_not_allowed')).toHaveLength(1);
  });

  test('a CONNECT header announcing 100 MiB is cut off, as over TCP', async () => {
    const socket = await openRawWebSocket();
    const closed = once(socket, 'close');
    socket.send(Buffer.concat([Buffer.from([0x10, ...encodeRemainingLength(100 * 1024 * 1024)]), Buffer.alloc(1024)]));
    await closed;
    expect(harness.rejectionsFor('packet_too_large')).toEqual([
      expect.objectContaining({ address: expect.stringContaining('127.0.0.1') }),
    ]);
  });

  test('a single WebSocket message larger than one maximum packet is refused by ws before it is buffered', async () => {
    const socket = await openRawWebSocket();
    const closed = once(socket, 'close');
    socket.send(Buffer.alloc(128 * 1024));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009); // Message Too Big (RFC 6455, 7.4.1)
    expect(harness.rejectionsFor('packet_too_large')).toHaveLength(1);
  });

  test('a plain HTTP request is told to upgrade', async () => {
    const response = await fetch(harness.wsUrl.replace('ws://', 'http://'));
    expect(response.status).toBe(426);
    await response.body?.cancel();
  });
});
