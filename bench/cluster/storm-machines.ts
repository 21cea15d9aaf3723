/**
 * A child process of the cluster bench's reconnect storm (bench/cluster/storm.ts) holding a share of
 * the fleet: one light MQTT.js client per machine, authenticated with its own token, reconnecting
 * by itself as a kiosk's agent does (every 2 s ± 20 %, keepalive 30 s), with an outbox: each machine
 * publishes a loan or return QoS 1 every `eventIntervalMs` (at its own phase) and keeps it until
 * its id comes back acked as stored; after a reconnect it sends a new event at once and sends
 * again whatever its outbox holds (10 s without an ack also sends it again, as the simulator does).
 *
 * After the parent's `mark` (sent just before it kills a node), each machine whose connection
 * closes records when, when it was connected again, and when its first ack after that came.
 * Reports its counts every 500 ms; answers `finish` with every record; ends when its parent goes.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { MachineCredentials } from '../ipc.js';

export interface StormStart {
  type: 'start';
  mqttUrl: string;
  topicRoot: string;
  machines: MachineCredentials[];
  eventIntervalMs: number;
  connectConcurrency: number;
}

export type StormCommand = StormStart | { type: 'mark' } | { type: 'stop-sending' } | { type: 'finish' };

export interface StormCounts {
  connected: number;
  everConnected: number;
  refused: number;
  sent: number;
  /** Distinct event ids acked as stored. */
  acked: number;
  unacked: number;
  /** Machines whose connection closed after the mark, back connected, and acked since. */
  affected: number;
  back: number;
  ackedAfter: number;
  /** Connections closed before the mark (nothing should drop while every node runs). */
  closesBeforeMark: number;
}

/** Epoch ms of one machine's passage through the storm. */
export interface StormRecord {
  closedAt: number;
  connectedAt: number | null;
  ackedAt: number | null;
}

/** `isSending` false once the machines have stopped making new events (the drain waits for it). */
export type StormMessage =
  ({ type: 'report'; isSending: boolean } & StormCounts) | { type: 'result'; counts: StormCounts; records: StormRecord[] };

const ACK_TIMEOUT_MS = 10_000;
const bootId = Date.now().toString(36);

interface Machine {
  id: string;
  client: MqttClient;
  eventsTopic: string;
  acksTopic: string;
  /** Event id → [payload, last sent at]. */
  outbox: Map<string, [string, number]>;
  seq: number;
  isUp: boolean;
  record: StormRecord | null;
}

const machines: Machine[] = [];
const counts: StormCounts = {
  connected: 0,
  everConnected: 0,
  refused: 0,
  sent: 0,
  acked: 0,
  unacked: 0,
  affected: 0,
  back: 0,
  ackedAfter: 0,
  closesBeforeMark: 0,
};
let isMarked = false;
let isSending = true;

const jittered = (ms: number) => Math.round(ms * (0.8 + 0.4 * Math.random()));

function publish(m: Machine, id: string, payload: string): void {
  m.outbox.set(id, [payload, Date.now()]);
  if (m.isUp) m.client.publish(m.eventsTopic, payload, { qos: 1 }, () => {});
}

function newEvent(m: Machine): void {
  if (!isSending) return;
  m.seq += 1;
  const id = `${m.id}-${bootId}-${m.seq}`;
  const payload = JSON.stringify({ id, ts: new Date().toISOString(), type: m.seq % 2 ? 'loan' : 'return', itemId: `B${m.seq}` });
  counts.sent += 1;
  publish(m, id, payload);
}

function onAck(m: Machine, payload: Buffer): void {
  let ack: { stored?: string[] };
  try {
    ack = JSON.parse(payload.toString('utf8')) as typeof ack;
  } catch {
    return;
  }
  for (const id of ack.stored ?? []) {
    if (!m.outbox.delete(id)) continue; // an ack of an event sent twice: counted once
    counts.acked += 1;
    if (m.record && m.record.connectedAt !== null && m.record.ackedAt === null) {
      m.record.ackedAt = Date.now();
      counts.ackedAfter += 1;
    }
  }
}

function connect(command: StormStart, credentials: MachineCredentials): Promise<void> {
  return new Promise<void>((resolve) => {
    const client = mqtt.connect(command.mqttUrl, {
      clientId: credentials.id,
      username: credentials.id,
      password: credentials.token,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: jittered(2_000),
      connectTimeout: 30_000,
    });
    const m: Machine = {
      id: credentials.id,
      client,
      eventsTopic: `${command.topicRoot}/${credentials.id}/events`,
      acksTopic: `${command.topicRoot}/${credentials.id}/acks`,
      outbox: new Map(),
      seq: 0,
      isUp: false,
      record: null,
    };
    machines.push(m);
    let hasConnected = false;
    client.on('message', (topic, payload) => {
      if (topic === m.acksTopic) onAck(m, payload);
    });
    client.on('connect', () => {
      m.isUp = true;
      counts.connected += 1;
      client.options.reconnectPeriod = jittered(2_000);
      client.subscribe(m.acksTopic, { qos: 1 }, () => {
        if (!hasConnected) {
          hasConnected = true;
          counts.everConnected += 1;
          resolve();
          const tick = () => newEvent(m);
          setTimeout(() => {
            tick();
            setInterval(tick, command.eventIntervalMs);
          }, Math.random() * command.eventIntervalMs);
          return;
        }
        if (m.record && m.record.connectedAt === null) {
          m.record.connectedAt = Date.now();
          counts.back += 1;
        }
        // Back: what the outbox holds goes again, and the next loan at once.
        for (const [id, [payload]] of m.outbox) publish(m, id, payload);
        newEvent(m);
      });
    });
    client.on('close', () => {
      if (m.isUp) counts.connected -= 1;
      const wasUp = m.isUp;
      m.isUp = false;
      if (!wasUp || !hasConnected) return;
      if (!isMarked) counts.closesBeforeMark += 1;
      else if (!m.record) {
        m.record = { closedAt: Date.now(), connectedAt: null, ackedAt: null };
        counts.affected += 1;
      }
    });
    client.on('error', (error) => {
      // A CONNACK refusal carries a numeric code; a TCP error while a node is away, a string one.
      if (typeof (error as { code?: unknown }).code !== 'number') return;
      counts.refused += 1;
      if (!hasConnected) resolve();
    });
  });
}

async function start(command: StormStart): Promise<void> {
  const pending = [...command.machines];
  await Promise.all(
    Array.from({ length: Math.max(1, command.connectConcurrency) }, async () => {
      for (let next = pending.shift(); next; next = pending.shift()) await connect(command, next);
    }),
  );
  // Unacked for ACK_TIMEOUT_MS: send again (a message lost with the node that took it).
  setInterval(() => {
    const now = Date.now();
    for (const m of machines)
      for (const [id, [payload, sentAt]] of m.outbox) if (now - sentAt > ACK_TIMEOUT_MS) publish(m, id, payload);
  }, 2_000);
}

const snapshot = (): StormCounts => ({ ...counts, unacked: machines.reduce((n, m) => n + m.outbox.size, 0) });

const report = () => process.send?.({ type: 'report', isSending, ...snapshot() } satisfies StormMessage);

process.on('message', (message: StormCommand) => {
  switch (message.type) {
    case 'start':
      setInterval(report, 500);
      void start(message);
      break;
    case 'mark':
      isMarked = true;
      break;
    case 'stop-sending':
      isSending = false;
      report();
      break;
    case 'finish': {
      const records = machines.flatMap((m) => (m.record ? [m.record] : []));
      process.send?.({ type: 'result', counts: snapshot(), records } satisfies StormMessage, undefined, {}, () => {
        for (const m of machines) m.client.end(true);
        setTimeout(() => process.exit(0), 200);
      });
      break;
    }
  }
});
process.on('disconnect', () => process.exit(3));
