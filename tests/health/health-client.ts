import { connect as connectTcp, type Socket } from 'node:net';
import { once } from 'node:events';
import type { ApiClient, TestPlatform } from '../support/platform-harness.js';

/** What the fleet-health tests ask the API: writes as the admin, or as the person given. */
export function healthClient(t: TestPlatform) {
  return {
    async post<T = unknown>(path: string, body: unknown, as?: ApiClient): Promise<{ status: number; body: T }> {
      return (as ?? (await t.api('admin'))).post<T>(path, body);
    },
    async serviceState(kioskId: string): Promise<string> {
      return (await t.get<{ kiosk: { serviceState: string } }>(`/api/v1/kiosks/${kioskId}`)).body.kiosk.serviceState;
    },
  };
}

export const status = (state: 'online' | 'offline', bootId: string, ts = new Date().toISOString()) =>
  JSON.stringify({ state, ts, bootId });

/** An MQTT string: two bytes of length, then UTF-8 [MQTT-1.5.3]. */
function mqttString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** The variable-length "remaining length" of a fixed header [MQTT-2.2.3]. */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

/**
 * A machine on a bare TCP socket: MQTT 3.1.1 CONNECT with a keepalive and a retained QoS 1 Last
 * Will, then a retained online status, then nothing at all, and the socket left open: a link gone
 * half-open (power cut behind a NAT). Only the broker's keepalive timer can notice.
 */
export async function connectSilentMachine(options: {
  port: number;
  kioskId: string;
  token: string;
  keepaliveSec: number;
  bootId: string;
}): Promise<{ socket: Socket; lastPacketMs: number }> {
  const { kioskId, token, keepaliveSec, bootId } = options;
  const topic = `kiosks/${kioskId}/status`;
  // username, password, will retain, will QoS 1, will flag, clean session [MQTT-3.1.2.3]
  const flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(keepaliveSec);
  const connectBody = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([0x04, flags]),
    keepalive,
    mqttString(kioskId),
    mqttString(topic),
    mqttString(Buffer.from(status('offline', bootId))),
    mqttString(kioskId),
    mqttString(token),
  ]);
  const socket = connectTcp(options.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(packet(0x10, connectBody));
  const [connack] = (await once(socket, 'data')) as [Buffer];
  if (connack[0] !== 0x20 || connack[3] !== 0x00) throw new Error(`CONNECT refused: ${connack.toString('hex')}`);
  // PUBLISH, QoS 0, retained: the online status.
  socket.write(packet(0x31, Buffer.concat([mqttString(topic), Buffer.from(status('online', bootId))])));
  return { socket, lastPacketMs: Date.now() };
}
