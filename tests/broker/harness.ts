import { once } from 'node:events';
import net from 'node:net';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../broker/broker.js';
import type { Rejection, RejectionReason } from '../../broker/rejection.js';
import { createTopics } from '../../protocol/topics.js';
import { generateToken, hashToken, isTokenValid } from '../../registry/tokens.js';

export const topics = createTopics('kiosks');
export const KIOSK_A = 'kiosk-a';
export const KIOSK_B = 'kiosk-b';
export const COLLECTOR = 'collector';

export interface Harness {
  broker: RunningBroker;
  rejections: Rejection[];
  tokens: Readonly<Record<string, string>>;
  tcpUrl: string;
  wsUrl: string;
  /** Connects an mqtt.js client (no reconnects); rejects with the CONNACK error when refused. */
  connect(options: IClientOptions, transport?: 'tcp' | 'ws'): Promise<MqttClient>;
  connectKiosk(kioskId: string, options?: IClientOptions, transport?: 'tcp' | 'ws'): Promise<MqttClient>;
  connectService(name?: string, options?: IClientOptions): Promise<MqttClient>;
  /** A bare TCP connection to the broker, for speaking broken MQTT. */
  rawSocket(): Promise<net.Socket>;
  rejectionsFor(reason: RejectionReason): Rejection[];
  close(): Promise<void>;
}

export type HarnessOptions = Partial<
  Pick<
    BrokerOptions,
    | 'maxPacketBytes'
    | 'connectTimeoutMs'
    | 'wsPort'
    | 'maxConnections'
    | 'connectRatePerAddress'
    | 'connectBurstPerAddress'
    | 'publishRatePerKiosk'
    | 'publishBurstPerKiosk'
    | 'offlineQueueMaxMessages'
  >
>;

function verifierFor(hashes: ReadonlyMap<string, string>) {
  return (name: string, token: Buffer): boolean => isTokenValid(token, hashes.get(name));
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tokens: Record<string, string> = {
    [KIOSK_A]: generateToken(),
    [KIOSK_B]: generateToken(),
    [COLLECTOR]: generateToken(),
  };
  const kioskHashes = new Map([KIOSK_A, KIOSK_B].map((id) => [id, hashToken(tokens[id] ?? '')]));
  const serviceHashes = new Map([[COLLECTOR, hashToken(tokens[COLLECTOR] ?? '')]]);
  const rejections: Rejection[] = [];
  const broker = await startBroker({
    topics,
    port: 0,
    ...options,
    wsPort: options.wsPort ?? 0,
    verifyKioskToken: verifierFor(kioskHashes),
    verifyServiceToken: verifierFor(serviceHashes),
    onRejected: (rejection) => rejections.push(rejection),
    logger: pino({ level: 'silent' }),
  });
  const clients = new Set<MqttClient>();
  const sockets = new Set<net.Socket>();
  const tcpUrl = `mqtt://127.0.0.1:${broker.port}`;
  const wsUrl = `ws://127.0.0.1:${broker.wsPort ?? 0}/mqtt`;

  async function connect(clientOptions: IClientOptions, transport: 'tcp' | 'ws' = 'tcp'): Promise<MqttClient> {
    const url = transport === 'tcp' ? tcpUrl : wsUrl;
    const client = await connectAsync(
      url,
      { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...clientOptions },
      false,
    );
    clients.add(client);
    return client;
  }

  return {
    broker,
    rejections,
    tokens,
    tcpUrl,
    wsUrl,
    connect,
    connectKiosk: (kioskId, clientOptions = {}, transport = 'tcp') =>
      connect({ username: kioskId, password: tokens[kioskId] ?? 'no-token', clientId: kioskId, ...clientOptions }, transport),
    connectService: (name = COLLECTOR, clientOptions = {}) =>
      connect({
        username: name,
        password: tokens[name] ?? 'no-token',
        clientId: `${name}-${clients.size}`,
        ...clientOptions,
      }),
    async rawSocket() {
      const socket = net.connect(broker.port, '127.0.0.1');
      sockets.add(socket);
      // The broker resets refused connections; the tests watch 'close', not the error.
      socket.on('error', () => {});
      await once(socket, 'connect');
      return socket;
    },
    rejectionsFor: (reason) => rejections.filter((rejection) => rejection.reason === reason),
    async close() {
      await Promise.all([...clients].map((client) => client.endAsync(true)));
      for (const socket of sockets) socket.destroy();
      await broker.stop();
    },
  };
}

/** MQTT Remaining Length varint ([MQTT-2.2.3]). */
export function encodeRemainingLength(length: number): number[] {
  const bytes: number[] = [];
  let rest = length;
  do {
    const digit = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? digit | 0x80 : digit);
  } while (rest > 0);
  return bytes;
}

function encodeString(value: string): Buffer {
  const text = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([text.length >> 8, text.length & 0xff]), text]);
}

/**
 * A CONNECT packet built by hand, for what mqtt.js refuses to send (an empty client id with
 * clean session 0).
 */
export function encodeConnect(fields: { clientId: string; isClean: boolean; username: string; password: string }): Buffer {
  const connectFlags = 0x80 | 0x40 | (fields.isClean ? 0x02 : 0x00);
  const variableHeader = Buffer.concat([encodeString('MQTT'), Buffer.from([4, connectFlags, 0, 60])]);
  const payload = Buffer.concat([encodeString(fields.clientId), encodeString(fields.username), encodeString(fields.password)]);
  const body = Buffer.concat([variableHeader, payload]);
  return Buffer.concat([Buffer.from([0x10, ...encodeRemainingLength(body.length)]), body]);
}

/** Collects every message a client receives, in order. */
export function collectMessages(client: MqttClient): Array<{ topic: string; payload: string; isRetained: boolean }> {
  const received: Array<{ topic: string; payload: string; isRetained: boolean }> = [];
  client.on('message', (topic, payload, packet) =>
    received.push({ topic, payload: payload.toString(), isRetained: packet.retain }),
  );
  return received;
}

/** Resolves when an mqtt.js client's connection closes (its emitter is not a Node EventEmitter). */
export function closeOf(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** Resolves once `condition` holds; rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** True when the broker closes the socket within `ms`. */
export async function isClosedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  // A paused socket never sees the end of what the broker sent (a refusing CONNACK) nor closes.
  socket.resume();
  if (socket.destroyed || socket.readableEnded) return true;
  return Promise.race([
    new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);
}
