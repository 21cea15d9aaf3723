import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** One MQTT PUBLISH as it crossed the tap. */
interface Publish {
  topic: string;
  payload: Buffer;
}

/**
 * Splits an MQTT 3.1.1 byte stream into packets and hands on each PUBLISH [MQTT-3.3]: fixed header,
 * remaining length [MQTT-2.2.3], topic, packet id when QoS > 0, payload. Other packets are skipped.
 */
function publishReader(onPublish: (publish: Publish) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let offset = 1;
      for (; offset < pending.length && offset <= 4; offset++) {
        length += (pending[offset]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((pending[offset]! & 0x80) === 0) break;
      }
      if (offset >= pending.length || pending.length < offset + 1 + length) return;
      const first = pending[0]!;
      const body = pending.subarray(offset + 1, offset + 1 + length);
      pending = pending.subarray(offset + 1 + length);
      if (first >> 4 !== 3) continue;
      const topicLength = body.readUInt16BE(0);
      const qos = (first >> 1) & 3;
      const topic = body.subarray(2, 2 + topicLength).toString('utf8');
      onPublish({ topic, payload: body.subarray(2 + topicLength + (qos > 0 ? 2 : 0)) });
    }
  };
}

const idsOf = (payload: Buffer): string[] => {
  const parsed = JSON.parse(payload.toString('utf8')) as { id?: unknown } | { id?: unknown }[];
  return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((e) => (typeof e.id === 'string' ? [e.id] : []));
};

const push = (map: Map<string, string[]>, key: string, values: readonly string[]) => {
  const list = map.get(key);
  if (list) list.push(...values);
  else map.set(key, [...values]);
};

/**
 * A TCP relay between machines and their broker that records, per machine, every event id it sent
 * (in the order it sent them, resends included) and every id acked back to it as stored. It sees
 * the bytes on the wire, so it needs nothing from the machine's code; the broker may come and go
 * behind it (a connection it cannot relay is closed, and the machine reconnects).
 */
export class MqttTap {
  /** Per machine: event ids in the order it published them, resends included. */
  readonly sent = new Map<string, string[]>();
  /** Per machine: ids the collector acked to it as stored, in the order the acks arrived. */
  readonly acked = new Map<string, string[]>();
  port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(
    private readonly upstreamPort: () => number,
    private readonly topicRoot = 'kiosks',
  ) {
    this.server = createServer((client) => this.relay(client));
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  /** Event instances sent by every machine together (resends counted each time). */
  sentCount(): number {
    return [...this.sent.values()].reduce((sum, ids) => sum + ids.length, 0);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.upstreamPort(), '127.0.0.1');
    this.track(client);
    this.track(upstream);
    const channel = (topic: string, name: string): string | undefined => {
      const parts = topic.split('/');
      return parts.length === 3 && parts[0] === this.topicRoot && parts[2] === name ? parts[1] : undefined;
    };
    const fromMachine = publishReader(({ topic, payload }) => {
      const kioskId = channel(topic, 'events');
      if (kioskId) push(this.sent, kioskId, idsOf(payload));
    });
    const toMachine = publishReader(({ topic, payload }) => {
      const kioskId = channel(topic, 'acks');
      if (kioskId) push(this.acked, kioskId, (JSON.parse(payload.toString('utf8')) as { stored: string[] }).stored);
    });
    client.on('data', (chunk: Buffer) => {
      fromMachine(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      toMachine(chunk);
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
