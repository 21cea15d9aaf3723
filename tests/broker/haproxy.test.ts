import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { MqttClient, type IClientOptions } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { addressOf, type Rejection } from '../../broker/rejection.js';
import { generateToken, hashToken, isTokenValid } from '../../registry/tokens.js';
import { freePort, skipWithoutHaproxy, startHaproxy, type RunningHaproxy } from '../support/haproxy.js';
import { topics } from './harness.js';

const HAPROXY_CFG = fileURLToPath(new URL('../../docs/haproxy.cfg', import.meta.url));
const token = generateToken();
const tokenHash = hashToken(token);

describe.skipIf(skipWithoutHaproxy)('behind HAProxy with the PROXY protocol (docs/haproxy.cfg, MQTT_PROXY_PROTOCOL=on)', () => {
  let broker: RunningBroker;
  let haproxy: RunningHaproxy | undefined;
  let frontPort: number;
  const rejections: Rejection[] = [];
  const clientAddresses: string[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startBroker({
      topics,
      port: 0,
      proxyProtocol: true,
      // Two connections at once per address, then one per 10 s: the third from one address is refused.
      connectBurstPerAddress: 2,
      connectRatePerAddress: 1,
      verifyKioskToken: (id, given) => id.startsWith('kiosk-') && isTokenValid(given, tokenHash),
      verifyServiceToken: () => false,
      onRejected: (rejection) => rejections.push(rejection),
      logger: pino({ level: 'silent' }),
    });
    broker.aedes.on('client', (client) => clientAddresses.push(addressOf(client.conn) ?? 'none'));
    frontPort = await freePort();
    const env = {
      HAPROXY_BIND: '127.0.0.1',
      HAPROXY_MAXCONN: '1000',
      HAPROXY_MQTT_PORT: String(frontPort),
      HAPROXY_HTTP_PORT: String(await freePort()),
      // Both nodes of the example are this broker: what matters here is what one node sees.
      NODE1_HOST: '127.0.0.1',
      NODE1_MQTT_PORT: String(broker.port),
      NODE2_HOST: '127.0.0.1',
      NODE2_MQTT_PORT: String(broker.port),
    };
    haproxy = await startHaproxy(HAPROXY_CFG, env, frontPort);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await haproxy?.stop();
    await broker?.stop();
  });

  /** A machine connecting through HAProxy from one of the loopback addresses 127.0.0.x. */
  async function connectFrom(localAddress: string, kioskId: string): Promise<MqttClient> {
    const options: IClientOptions = {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      clientId: kioskId,
      username: kioskId,
      password: token,
    };
    const client = new MqttClient(() => net.connect({ host: '127.0.0.1', port: frontPort, localAddress }), options);
    clients.push(client);
    const outcome = await new Promise<'connect' | 'close'>((resolve) => {
      client.once('connect', () => resolve('connect'));
      client.once('close', () => resolve('close'));
    });
    if (outcome === 'close') throw new Error(`connection from ${localAddress} closed before CONNACK`);
    return client;
  }

  test("the broker sees each machine's own address, not HAProxy's", async () => {
    await connectFrom('127.0.0.2', 'kiosk-1');
    await connectFrom('127.0.0.3', 'kiosk-2');
    expect(clientAddresses).toEqual(['127.0.0.2', '127.0.0.3']);
  });

  test('the connection limit per address applies to each machine address, not to HAProxy as one', async () => {
    // 127.0.0.2 spent one connection of its burst of two above; a second passes, a third is refused.
    await connectFrom('127.0.0.2', 'kiosk-3');
    await expect(connectFrom('127.0.0.2', 'kiosk-4')).rejects.toThrow(/closed before CONNACK/);
    expect(rejections.filter((r) => r.reason === 'connect_rate_exceeded').map((r) => r.address)).toEqual(['127.0.0.2']);
    // Every connection came through the same HAProxy, yet another address is still admitted.
    await connectFrom('127.0.0.4', 'kiosk-5');
    await connectFrom('127.0.0.4', 'kiosk-6');
  });

  test('a connection that bypasses HAProxy (no PROXY header) is refused', async () => {
    const direct = new MqttClient(() => net.connect({ host: '127.0.0.1', port: broker.port }), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'kiosk-7',
      username: 'kiosk-7',
      password: token,
    });
    clients.push(direct);
    await new Promise<void>((resolve) => direct.once('close', () => resolve()));
    expect(direct.connected).toBe(false);
    expect(rejections.filter((r) => r.reason === 'proxy_header_invalid')).toHaveLength(1);
  });
});
