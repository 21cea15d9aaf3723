import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { eventsPayloadSchema, type KioskEvent } from '../../protocol/events.js';
import { statusSchema, type KioskStatus } from '../../protocol/status.js';
import { telemetrySchema, type Telemetry } from '../../protocol/telemetry.js';
import type { Topics } from '../../protocol/topics.js';

/** A plain in-process aedes broker on port 0, with a handle on each server-side client. */
export interface TestBroker {
  url: string;
  broker: Aedes;
  /** The broker's side of each client's connection, by client id (the latest one). */
  clientsById: Map<string, Client>;
  close(): Promise<void>;
}

export async function startTestBroker(options: AedesOptions = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker(options);
  const clientsById = new Map<string, Client>();
  broker.on('client', (client) => clientsById.set(client.id, client));
  const server = createServer(broker.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    broker,
    clientsById,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A stand-in collector: records what machines send and acks events when told to. */
export interface TestCollector {
  client: MqttClient;
  /** How many times each event id was delivered. */
  deliveries: Map<string, number>;
  events: Map<string, KioskEvent>;
  /** Events per message received: 0 for a single event object, n for an array of n. */
  batchSizes: number[];
  statuses: { kioskId: string; status: KioskStatus }[];
  telemetry: { kioskId: string; reading: Telemetry }[];
  invalidMessages: string[];
  isAcking: boolean;
  ack(kioskId: string, ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startTestCollector(url: string, topics: Topics, isAcking: boolean): Promise<TestCollector> {
  const client = await connectAsync(url, { clientId: 'test-collector', clean: true, reconnectPeriod: 0 });
  const collector: TestCollector = {
    client,
    deliveries: new Map(),
    events: new Map(),
    batchSizes: [],
    statuses: [],
    telemetry: [],
    invalidMessages: [],
    isAcking,
    async ack(kioskId, ids) {
      await client.publishAsync(topics.topic(kioskId, 'acks'), JSON.stringify({ stored: ids }), { qos: 1 });
    },
    close: () => client.endAsync(),
  };
  client.on('message', (topicName, payload) => {
    const parsed = topics.parse(topicName);
    if (!parsed.ok) return;
    const json: unknown = JSON.parse(payload.toString('utf8'));
    if (parsed.channel === 'events') {
      const result = eventsPayloadSchema.safeParse(json);
      if (!result.success) return void collector.invalidMessages.push(payload.toString('utf8'));
      const events = Array.isArray(result.data) ? result.data : [result.data];
      collector.batchSizes.push(Array.isArray(result.data) ? result.data.length : 0);
      for (const event of events) {
        collector.deliveries.set(event.id, (collector.deliveries.get(event.id) ?? 0) + 1);
        collector.events.set(event.id, event);
      }
      // A message arriving while the test closes this client is not acked: nothing to ack it on.
      if (collector.isAcking && !client.disconnecting)
        collector
          .ack(
            parsed.kioskId,
            events.map((e) => e.id),
          )
          .catch(() => {});
    } else if (parsed.channel === 'status') {
      const result = statusSchema.safeParse(json);
      if (!result.success) return void collector.invalidMessages.push(payload.toString('utf8'));
      collector.statuses.push({ kioskId: parsed.kioskId, status: result.data });
    } else if (parsed.channel === 'telemetry') {
      const result = telemetrySchema.safeParse(json);
      if (!result.success) return void collector.invalidMessages.push(payload.toString('utf8'));
      collector.telemetry.push({ kioskId: parsed.kioskId, reading: result.data });
    }
  });
  await client.subscribeAsync(
    ['events', 'status', 'telemetry'].map((channel) => topics.everyKiosk(channel as 'events')),
    { qos: 1 },
  );
  return collector;
}

/** The retained status messages a newly connecting client receives, once there are `count`. */
/**
 * The retained statuses a new subscriber is given, once `count` of them are there. A status
 * published after the subscription arrives live (retain flag cleared) and does not count, so
 * this subscribes again until the broker holds `count` retained ones or `timeoutMs` passes.
 */
export async function readRetainedStatuses(
  url: string,
  topics: Topics,
  count: number,
  timeoutMs = 10_000,
): Promise<Map<string, KioskStatus>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await readRetainedOnce(url, topics, count);
    if (statuses.size >= count || Date.now() > deadline) return statuses;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readRetainedOnce(url: string, topics: Topics, count: number): Promise<Map<string, KioskStatus>> {
  const client = await connectAsync(url, { clientId: `retained-reader-${process.hrtime.bigint()}`, reconnectPeriod: 0 });
  const statuses = new Map<string, KioskStatus>();
  const complete = new Promise<void>((resolve) => {
    client.on('message', (topicName, payload, packet) => {
      const parsed = topics.parse(topicName);
      if (!parsed.ok || !packet.retain) return;
      statuses.set(parsed.kioskId, statusSchema.parse(JSON.parse(payload.toString('utf8'))));
      if (statuses.size >= count) resolve();
    });
  });
  try {
    await client.subscribeAsync(topics.everyKiosk('status'), { qos: 1 });
    // Retained messages follow the SUBACK at once; a short wait collects them all.
    await Promise.race([complete, new Promise((resolve) => setTimeout(resolve, 200))]);
  } finally {
    await client.endAsync();
  }
  return statuses;
}

/** A pino logger whose warnings and errors are kept, as parsed lines, for assertions. */
export function createCapturingLogger(): { logger: Logger; lines: { msg: string; [key: string]: unknown }[] } {
  const lines: { msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}
