import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RejectionReason } from '../../../broker/rejection.js';
import { isClosedWithin, KIOSK_A, KIOSK_B, startHarness, topics, until, type Harness } from '../harness.js';
import { authenticatedSocket, connect, packet, probe, publish, subscribe, utf8 } from './wire.js';

/**
 * The hostile-input catalogue: each case is refused as the specification demands (connection
 * closed, CONNACK refused, or a failed SUBACK), counted under a stable reason, and the broker
 * still serves a valid machine afterwards.
 */
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ wsPort: null, connectTimeoutMs: 1_000 });
});
afterAll(async () => {
  await harness.close();
});

const own = (channel: 'status' | 'events' | 'telemetry' | 'commands') => topics.topic(KIOSK_A, channel);
const deepTopic = (levels: number) => `${own('events')}${'/x'.repeat(levels)}`;
const validConnect = () => connect({ clientId: KIOSK_A, username: KIOSK_A, password: harness.tokens[KIOSK_A]! });

/** Bytes sent on a fresh socket before any CONNECT. */
const UNAUTHENTICATED: Array<[string, () => Buffer, RejectionReason]> = [
  ['reserved packet type 0 first', () => Buffer.from([0x00, 0x00]), 'first_packet_not_connect'],
  ['reserved packet type 15 first', () => Buffer.from([0xf0, 0x00]), 'first_packet_not_connect'],
  ['PUBLISH before CONNECT', () => publish(own('events'), '{}'), 'first_packet_not_connect'],
  ['SUBSCRIBE before CONNECT', () => subscribe(own('commands')), 'first_packet_not_connect'],
  ['a 5-byte Remaining Length', () => Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]), 'malformed_header'],
  ['a truncated CONNECT (header says more than comes)', () => validConnect().subarray(0, 12), 'connect_timeout'],
  ['a truncated Remaining Length', () => Buffer.from([0x10, 0xff, 0xff]), 'connect_timeout'],
  ['CONNECT with fixed-header flags set', () => Buffer.from([0x1f, ...validConnect().subarray(1)]), 'protocol_violation'],
  [
    'CONNECT with the reserved connect flag set',
    () => connect({ clientId: KIOSK_A, username: KIOSK_A, password: 'x', flags: 0xc3 }),
    'protocol_violation',
  ],
  ['CONNECT with protocol name "MQTX"', () => connect({ clientId: KIOSK_A, protocolName: 'MQTX' }), 'protocol_violation'],
  ['CONNECT with protocol level 9', () => connect({ clientId: KIOSK_A, protocolLevel: 9 }), 'protocol_violation'],
  [
    'CONNECT whose client id length runs past the packet',
    () => packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 2, 0, 60, 0xff, 0xff, 0x41])])),
    'protocol_violation',
  ],
  [
    'a will on another machine’s topic',
    () =>
      connect({
        clientId: KIOSK_A,
        username: KIOSK_A,
        password: harness.tokens[KIOSK_A]!,
        will: { topic: topics.topic(KIOSK_B, 'status') },
      }),
    'will_not_allowed',
  ],
  [
    'a will with a wildcard topic',
    () =>
      connect({ clientId: KIOSK_A, username: KIOSK_A, password: harness.tokens[KIOSK_A]!, will: { topic: 'kiosks/+/status' } }),
    'will_not_allowed',
  ],
  [
    'a will with a 150-level topic',
    () => connect({ clientId: KIOSK_A, username: KIOSK_A, password: harness.tokens[KIOSK_A]!, will: { topic: deepTopic(150) } }),
    'will_not_allowed',
  ],
  [
    'another machine’s id with valid credentials',
    () => connect({ clientId: KIOSK_B, username: KIOSK_A, password: harness.tokens[KIOSK_A]! }),
    'client_id_mismatch',
  ],
  [
    'another machine’s user name with this machine’s token',
    () => connect({ clientId: KIOSK_B, username: KIOSK_B, password: harness.tokens[KIOSK_A]! }),
    'bad_credentials',
  ],
];

/** Bytes sent by KIOSK_A after its valid CONNECT was accepted. */
const AUTHENTICATED: Array<[string, () => Buffer, RejectionReason]> = [
  ['a second CONNECT', validConnect, 'protocol_violation'],
  ['reserved packet type 0', () => Buffer.from([0x00, 0x00]), 'protocol_violation'],
  ['reserved packet type 15', () => Buffer.from([0xf0, 0x00]), 'protocol_violation'],
  ['a 5-byte Remaining Length', () => Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]), 'malformed_header'],
  [
    'PUBLISH with QoS 3',
    () => Buffer.from([0x36, ...publish(own('events'), '{}', { qos: 1 }).subarray(1)]),
    'protocol_violation',
  ],
  ['SUBSCRIBE with fixed-header flags 0', () => subscribe(own('commands'), { typeAndFlags: 0x80 }), 'protocol_violation'],
  ['PUBLISH with a # wildcard', () => publish('kiosks/#', '{}'), 'protocol_violation'],
  ['PUBLISH with a + wildcard', () => publish('kiosks/+/events', '{}', { qos: 1 }), 'protocol_violation'],
  ['PUBLISH with a 150-level topic', () => publish(deepTopic(150), '{}', { qos: 1 }), 'protocol_violation'],
  ['PUBLISH with a 90-level topic under its own', () => publish(deepTopic(90), '{}', { qos: 1 }), 'publish_not_allowed'],
  [
    'PUBLISH on another machine’s events',
    () => publish(topics.topic(KIOSK_B, 'events'), '{}', { qos: 1 }),
    'publish_not_allowed',
  ],
  ['PUBLISH on its own commands', () => publish(own('commands'), '{}', { qos: 1 }), 'publish_not_allowed'],
  ['PUBLISH on $SYS', () => publish('$SYS/broker/x', '{}'), 'publish_not_allowed'],
  ['a retained event', () => publish(own('events'), '{}', { qos: 1, retain: true }), 'retain_not_allowed'],
  ['a retained reading', () => publish(own('telemetry'), '{}', { retain: true }), 'retain_not_allowed'],
];

async function expectCountedOnce(reason: RejectionReason, act: () => Promise<void>): Promise<void> {
  const before = harness.broker.stats().rejectionsByReason[reason];
  await act();
  await until(() => harness.broker.stats().rejectionsByReason[reason] > before, 3_000, `a ${reason} rejection`);
}

describe('hostile input before CONNECT', () => {
  test.each(UNAUTHENTICATED)('%s: closed, counted, broker still serves', async (_name, bytes, reason) => {
    let socket: net.Socket | undefined;
    await expectCountedOnce(reason, async () => {
      socket = await harness.rawSocket();
      socket.write(bytes());
    });
    expect(await isClosedWithin(socket!, 3_000)).toBe(true);
    await probe(harness);
  });
});

describe('hostile input from an authenticated machine', () => {
  test.each(AUTHENTICATED)('%s: closed, counted, broker still serves', async (_name, bytes, reason) => {
    const { socket } = await authenticatedSocket(harness, KIOSK_A);
    await expectCountedOnce(reason, async () => void socket.write(bytes()));
    expect(await isClosedWithin(socket, 3_000)).toBe(true);
    await until(() => !harness.broker.isKioskConnected(KIOSK_A), 3_000, 'session ended');
    await probe(harness);
  });

  test.each([
    ['a # wildcard', 'kiosks/#'],
    ['a + wildcard over every machine', topics.everyKiosk('commands')],
    ['another machine’s commands', topics.topic(KIOSK_B, 'commands')],
    ['$SYS', '$SYS/#'],
  ])('SUBSCRIBE to %s: SUBACK 0x80 for it, counted, connection kept', async (_name, filter) => {
    const { socket, chunks } = await authenticatedSocket(harness, KIOSK_A);
    await expectCountedOnce('subscribe_not_allowed', async () => void socket.write(subscribe(filter, { messageId: 7 })));
    await until(() => Buffer.concat(chunks).length >= 5, 3_000, 'SUBACK');
    expect([...Buffer.concat(chunks).subarray(0, 5)]).toEqual([0x90, 0x03, 0x00, 0x07, 0x80]);
    expect(await isClosedWithin(socket, 200)).toBe(false);
    socket.destroy();
    await probe(harness);
  });
});

test('after the whole catalogue, no connection is left open', async () => {
  await until(() => harness.broker.stats().openConnections === 0, 3_000, 'every connection closed');
  expect(harness.broker.stats().connectedClients).toBe(0);
});
