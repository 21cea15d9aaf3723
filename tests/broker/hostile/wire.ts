import type net from 'node:net';
import { encodeRemainingLength, KIOSK_B, until, type Harness } from '../harness.js';

/** MQTT 3.1.1 packets built byte by byte, so tests can send what no client library would. */

export function utf8(value: string): Buffer {
  const text = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([text.length >> 8, text.length & 0xff]), text]);
}

/** A whole packet: the type-and-flags byte, the Remaining Length, the body. */
export function packet(typeAndFlags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([typeAndFlags, ...encodeRemainingLength(body.length)]), body]);
}

export interface ConnectFields {
  clientId: string;
  username?: string;
  password?: string;
  will?: { topic: string; payload?: string; retain?: boolean; qos?: number };
  isClean?: boolean;
  protocolName?: string;
  protocolLevel?: number;
  /** Replaces the computed connect flags byte (to set the reserved bit, say). */
  flags?: number;
}

export function connect(fields: ConnectFields): Buffer {
  const { will } = fields;
  const flags =
    fields.flags ??
    (fields.username === undefined ? 0 : 0x80) |
      (fields.password === undefined ? 0 : 0x40) |
      (will?.retain ? 0x20 : 0) |
      ((will?.qos ?? 0) << 3) |
      (will === undefined ? 0 : 0x04) |
      (fields.isClean === false ? 0 : 0x02);
  const header = Buffer.concat([utf8(fields.protocolName ?? 'MQTT'), Buffer.from([fields.protocolLevel ?? 4, flags, 0, 60])]);
  const payload = [utf8(fields.clientId)];
  if (will !== undefined) payload.push(utf8(will.topic), utf8(will.payload ?? 'offline'));
  if (fields.username !== undefined) payload.push(utf8(fields.username));
  if (fields.password !== undefined) payload.push(utf8(fields.password));
  return packet(0x10, Buffer.concat([header, ...payload]));
}

export function publish(
  topic: string,
  payload: string,
  options: { qos?: number; retain?: boolean; messageId?: number } = {},
): Buffer {
  const qos = options.qos ?? 0;
  const typeAndFlags = 0x30 | (qos << 1) | (options.retain ? 1 : 0);
  const id = options.messageId ?? 1;
  const messageId = qos > 0 ? Buffer.from([id >> 8, id & 0xff]) : Buffer.alloc(0);
  return packet(typeAndFlags, Buffer.concat([utf8(topic), messageId, Buffer.from(payload)]));
}

export function subscribe(filter: string, options: { messageId?: number; typeAndFlags?: number } = {}): Buffer {
  const id = options.messageId ?? 1;
  return packet(options.typeAndFlags ?? 0x82, Buffer.concat([Buffer.from([id >> 8, id & 0xff]), utf8(filter), Buffer.from([1])]));
}

export const PINGREQ = Buffer.from([0xc0, 0x00]);

/** Every byte a socket receives, as it arrives. */
export function received(socket: net.Socket): Buffer[] {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return chunks;
}

/** A raw socket past a successful CONNECT of `kioskId` (CONNACK 0 received). */
export async function authenticatedSocket(harness: Harness, kioskId: string): Promise<{ socket: net.Socket; chunks: Buffer[] }> {
  const socket = await harness.rawSocket();
  const chunks = received(socket);
  socket.write(connect({ clientId: kioskId, username: kioskId, password: harness.tokens[kioskId]! }));
  await until(() => Buffer.concat(chunks).length >= 4, 5_000, 'CONNACK');
  const connack = Buffer.concat(chunks.splice(0));
  if (connack.subarray(0, 4).compare(Buffer.from([0x20, 0x02, 0x00, 0x00])) !== 0)
    throw new Error(`CONNACK refused: ${connack.toString('hex')}`);
  return { socket, chunks };
}

/**
 * The probe every hostile case ends with: a valid machine connects with mqtt.js, publishes at
 * QoS 1 and gets its PUBACK.
 */
export async function probe(harness: Harness, kioskId = KIOSK_B): Promise<void> {
  const client = await harness.connectKiosk(kioskId);
  await client.publishAsync(`kiosks/${kioskId}/telemetry`, '{"probe":true}', { qos: 1 });
  await client.endAsync();
}
