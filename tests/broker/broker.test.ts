import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { BrokerOptionsError, startBroker, type BrokerOptions, type RunningBroker } from '../../broker/broker.js';
import { closeOf, KIOSK_A, startHarness, topics, type Harness } from './harness.js';

let harness: Harness | undefined;
let broker: RunningBroker | undefined;
afterEach(async () => {
  await harness?.close();
  await broker?.stop();
  harness = undefined;
  broker = undefined;
});

const baseOptions: BrokerOptions = {
  topics,
  port: 0,
  verifyKioskToken: () => false,
  verifyServiceToken: () => false,
  logger: pino({ level: 'silent' }),
};

/** A pino logger writing JSON lines into an array. */
function captureLogs(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('startBroker', () => {
  test('listens on a free TCP port and, without wsPort, on no WebSocket port', async () => {
    broker = await startBroker(baseOptions);
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.wsPort).toBeNull();
  });

  test.each([
    ['a negative port', { port: -1 }],
    ['a packet limit too small for a CONNECT', { maxPacketBytes: 10 }],
    ['a packet limit beyond what MQTT can express', { maxPacketBytes: 300_000_000 }],
    ['a zero CONNECT timeout', { connectTimeoutMs: 0 }],
    ['an empty host', { host: '' }],
  ])('refuses %s at start-up with a stable error code', async (_name, overrides) => {
    const starting = startBroker({ ...baseOptions, ...overrides });
    await expect(starting).rejects.toBeInstanceOf(BrokerOptionsError);
    await expect(starting).rejects.toMatchObject({ code: 'BROKER_INVALID_OPTIONS' });
  });

  test('stop() closes connected clients and sockets still waiting for CONNECT, then frees the port', async () => {
    harness = await startHarness();
    const kiosk = await harness.connectKiosk(KIOSK_A);
    const kioskClosed = closeOf(kiosk);
    const waiting = await harness.rawSocket();
    const waitingClosed = once(waiting, 'close');

    await harness.broker.stop();
    await Promise.all([kioskClosed, waitingClosed]);
    const probe = net.connect(harness.broker.port, '127.0.0.1');
    const [error] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    await harness.broker.stop(); // a second stop is harmless
  });

  test('stats() counts refusals by reason', async () => {
    harness = await startHarness();
    await expect(harness.connectKiosk(KIOSK_A, { password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    await expect(harness.connectKiosk(KIOSK_A, { password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    const stats = harness.broker.stats();
    expect(stats.rejectionsByReason.bad_credentials).toBe(2);
    expect(stats.rejectionsByReason.packet_too_large).toBe(0);
  });

  test('logs refusals at warn and connections at debug, as component "broker"', async () => {
    const { logger, lines } = captureLogs();
    broker = await startBroker({ ...baseOptions, logger, verifyServiceToken: () => true });
    const socket = net.connect(broker.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(Buffer.from([0x30, 0x00]));
    await once(socket, 'close');
    await expect
      .poll(() => lines.filter((line) => line.level === 40))
      .toEqual([
        expect.objectContaining({
          component: 'broker',
          rejection: expect.objectContaining({ reason: 'first_packet_not_connect' }),
        }),
      ]);
    expect(lines.some((line) => line.level === 30 && line.msg === 'broker listening')).toBe(true);

    const service = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      username: 'collector',
      password: 't',
      reconnectPeriod: 0,
    });
    await service.endAsync();
    await expect
      .poll(() => lines.filter((line) => line.level === 20).map((line) => line.msg))
      .toEqual(expect.arrayContaining(['client connected', 'client disconnected']));
  });

  test('an onRejected listener that throws does not disturb the broker', async () => {
    broker = await startBroker({
      ...baseOptions,
      onRejected: () => {
        throw new Error('listener bug');
      },
    });
    const socket = net.connect(broker.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(Buffer.from([0xc0, 0x00]));
    await once(socket, 'close');
    expect(broker.stats().rejectionsByReason.first_packet_not_connect).toBe(1);
  });
});
