/**
 * A load generator: a child process of `bench/ingest.ts` (one or several, see bench/generators.ts)
 * holding one real MQTT.js client per machine. Each machine publishes valid loan/return events QoS 1 on its own events topic and
 * waits for the collector's application-level ack on its acks topic, like a kiosk's outbox.
 *
 * Started with an IPC channel; receives one RunCommand, connects, waits for a GoCommand, answers
 * with GeneratorMessages, exits.
 * Every phase is bounded in time: connect, warm-up, measurement, drain, disconnect.
 */
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket, type Socket } from 'socket.io-client';
import {
  type GeneratorMessage,
  type GeneratorResult,
  type GoCommand,
  type MachineCredentials,
  type RunCommand,
  summarizeLatency,
} from './ipc.js';

type Phase = 'connecting' | 'warmup' | 'measure' | 'drain' | 'done';

interface Machine {
  id: string;
  client: MqttClient;
  eventsTopic: string;
  acksTopic: string;
  /** Event id → performance.now() at publish: the machine's outbox. */
  unacked: Map<string, number>;
  seq: number;
}

const send = (message: GeneratorMessage) => process.send?.(message);

/** A growable array of doubles: ~200k latency samples per run without boxing. */
class Samples {
  private data = new Float64Array(1 << 16);
  private length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  /** A sorted copy of the samples. */
  values(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function run(command: RunCommand): Promise<GeneratorResult> {
  const { load } = command;
  let phase: Phase = 'connecting';
  const latencies = new Samples();
  const totals: GeneratorResult['totals'] = {
    sentEvents: 0,
    sentMessages: 0,
    ackedEvents: 0,
    rejectedEvents: 0,
    unexpectedAcks: 0,
    unackedAtEnd: 0,
    publishErrors: 0,
    unexpectedDisconnects: 0,
    ackMessages: 0,
  };
  const atWindowStart = { sentEvents: 0, sentMessages: 0, ackMessages: 0 };
  const atWindowEnd = { sentEvents: 0, sentMessages: 0, ackMessages: 0 };
  let windowAckedEvents = 0;
  let windowStart = 0;
  let windowEnd = 0;
  let skippedEvents = 0;
  let maxScheduleLagMs = 0;
  const bootId = Date.now().toString(36);
  const isSending = () => phase === 'warmup' || phase === 'measure';
  // Live latency: id → publish time of the events published in the window, until their push arrives.
  const liveLatencies = new Samples();
  const livePending = new Map<string, number>();
  const live = { published: 0, received: 0, pushes: 0 };
  const onPublished = (error?: Error) => {
    if (error) totals.publishErrors += 1;
  };

  /** One message of `count` new events from machine `m`. */
  const publishEvents = (m: Machine, count: number) => {
    const now = performance.now();
    const ts = new Date().toISOString();
    const events = [];
    for (let i = 0; i < count; i++) {
      m.seq += 1;
      const id = `${m.id}-${bootId}-${m.seq}`;
      events.push({ id, ts, type: m.seq % 2 === 0 ? 'return' : 'loan', itemId: `B${(m.seq * 7919) % 1_000_000}` });
      m.unacked.set(id, now);
      if (socket && phase === 'measure') {
        livePending.set(id, now);
        live.published += 1;
      }
    }
    m.client.publish(m.eventsTopic, JSON.stringify(count === 1 ? events[0] : events), { qos: 1 }, onPublished);
    totals.sentEvents += count;
    totals.sentMessages += 1;
  };

  const refill = (m: Machine) => {
    if (load.kind !== 'closed' || !isSending()) return;
    while (m.unacked.size + load.eventsPerMessage <= load.window) publishEvents(m, load.eventsPerMessage);
  };

  const onAck = (m: Machine, payload: Buffer) => {
    const now = performance.now();
    totals.ackMessages += 1;
    let ack: { stored?: string[]; rejected?: { id: string }[] };
    try {
      ack = JSON.parse(payload.toString('utf8')) as typeof ack;
    } catch {
      totals.unexpectedAcks += 1;
      return;
    }
    const isInWindow = phase === 'measure';
    for (const id of ack.stored ?? []) {
      const sentAt = m.unacked.get(id);
      if (sentAt === undefined) {
        totals.unexpectedAcks += 1;
        continue;
      }
      m.unacked.delete(id);
      totals.ackedEvents += 1;
      if (isInWindow) {
        windowAckedEvents += 1;
        latencies.push(now - sentAt);
      }
    }
    for (const { id } of ack.rejected ?? []) {
      if (m.unacked.delete(id)) totals.rejectedEvents += 1;
      else totals.unexpectedAcks += 1;
    }
    refill(m);
  };

  // The dashboard's socket.io client, when live latency is measured.
  let socket: Socket | null = null;
  if (command.live) {
    const s = connectSocket(command.live.url, {
      transports: ['websocket'],
      reconnection: false,
      auth: { token: command.live.token },
    });
    sockets.push(s);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        s.once('snapshot', () => resolve());
        s.once('connect_error', reject);
      }),
      10_000,
      'connecting to socket.io',
    );
    s.on('events', (events: { id: string }[]) => {
      const now = performance.now();
      live.pushes += 1;
      for (const e of events) {
        const sentAt = livePending.get(e.id);
        if (sentAt === undefined) continue;
        livePending.delete(e.id);
        live.received += 1;
        liveLatencies.push(now - sentAt);
      }
    });
    socket = s;
  }

  // Connect the fleet, a few connections at a time.
  const connectStart = performance.now();
  const machines: Machine[] = [];
  const pendingCredentials = [...command.machines];
  const connectOne = async (credentials: MachineCredentials) => {
    const client = await mqtt.connectAsync(command.mqttUrl, {
      clientId: credentials.id,
      username: credentials.id,
      password: credentials.token,
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    clients.push(client);
    const m: Machine = {
      id: credentials.id,
      client,
      eventsTopic: `${command.topicRoot}/${credentials.id}/events`,
      acksTopic: `${command.topicRoot}/${credentials.id}/acks`,
      unacked: new Map(),
      seq: 0,
    };
    client.on('error', () => {});
    client.on('close', () => {
      if (phase !== 'done') totals.unexpectedDisconnects += 1;
    });
    client.on('message', (topic, payload) => {
      if (topic === m.acksTopic) onAck(m, payload);
    });
    const granted = await client.subscribeAsync(m.acksTopic, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) throw new Error(`the broker refused ${m.acksTopic} to ${m.id}`);
    machines.push(m);
  };
  await withTimeout(
    Promise.all(
      Array.from({ length: Math.max(1, command.connectConcurrency) }, async () => {
        for (let next = pendingCredentials.shift(); next; next = pendingCredentials.shift()) await connectOne(next);
      }),
    ),
    60_000,
    `connecting ${command.machines.length} machines`,
  );
  const connectMs = performance.now() - connectStart;
  send({ type: 'connected', machines: machines.length, connectMs });
  await withTimeout(go, 60_000, 'waiting for the other generators');

  // Warm-up, then the measurement window; both end by timers.
  let cpuAtStart = process.cpuUsage();
  let eluAtStart = performance.eventLoopUtilization();
  let cpuCores = 0;
  let eventLoopUtilization = 0;
  const sendStart = performance.now();
  phase = 'warmup';
  const phaseTimers = [
    setTimeout(() => {
      phase = 'measure';
      windowStart = performance.now();
      Object.assign(atWindowStart, {
        sentEvents: totals.sentEvents,
        sentMessages: totals.sentMessages,
        ackMessages: totals.ackMessages,
      });
      cpuAtStart = process.cpuUsage();
      eluAtStart = performance.eventLoopUtilization();
      send({ type: 'measure-start' });
    }, command.warmupMs),
    setTimeout(() => {
      phase = 'drain';
      windowEnd = performance.now();
      Object.assign(atWindowEnd, {
        sentEvents: totals.sentEvents,
        sentMessages: totals.sentMessages,
        ackMessages: totals.ackMessages,
      });
      const cpu = process.cpuUsage(cpuAtStart);
      cpuCores = (cpu.user + cpu.system) / 1000 / (windowEnd - windowStart);
      eventLoopUtilization = performance.eventLoopUtilization(eluAtStart).utilization;
      send({ type: 'measure-end' });
    }, command.warmupMs + command.measureMs),
  ];

  if (load.kind === 'closed') {
    for (const m of machines) refill(m);
  } else {
    // Open loop: a 2 ms tick sends what the schedule says is due, round-robin over the machines.
    const tickMs = 2;
    let scheduled = 0;
    let nextMachine = 0;
    let expectedTick = performance.now() + tickMs;
    const tick = () => {
      if (!isSending()) return;
      const now = performance.now();
      maxScheduleLagMs = Math.max(maxScheduleLagMs, now - expectedTick);
      expectedTick = now + tickMs;
      const due = Math.floor(((now - sendStart) / 1000) * load.ratePerSecond);
      while (scheduled + load.eventsPerMessage <= due) {
        scheduled += load.eventsPerMessage;
        const m = machines[nextMachine++ % machines.length]!;
        if (m.unacked.size + load.eventsPerMessage > load.maxUnackedPerMachine) skippedEvents += load.eventsPerMessage;
        else publishEvents(m, load.eventsPerMessage);
      }
      setTimeout(tick, tickMs);
    };
    setTimeout(tick, tickMs);
  }

  await sleep(command.warmupMs + command.measureMs + 20);
  for (const timer of phaseTimers) clearTimeout(timer);
  if ((phase as Phase) !== 'drain') throw new Error(`measurement did not end (phase ${phase})`);

  // Drain: stop sending, wait (bounded) for every outstanding event's ack.
  const drainStart = performance.now();
  const outstanding = () => machines.reduce((sum, m) => sum + m.unacked.size, 0);
  while (outstanding() > 0 && performance.now() - drainStart < command.drainTimeoutMs) await sleep(20);
  const drainMs = performance.now() - drainStart;
  totals.unackedAtEnd = outstanding();
  // The last pushes of the window's events follow their acks by at most one push interval.
  if (socket) for (let i = 0; i < 100 && livePending.size > 0; i++) await sleep(20);
  phase = 'done';

  const latencySamples = latencies.values();
  const liveSamples = liveLatencies.values();
  return {
    windowSeconds: (windowEnd - windowStart) / 1000,
    windowAckedEvents,
    windowSentEvents: atWindowEnd.sentEvents - atWindowStart.sentEvents,
    windowSentMessages: atWindowEnd.sentMessages - atWindowStart.sentMessages,
    windowAckMessages: atWindowEnd.ackMessages - atWindowStart.ackMessages,
    latency: summarizeLatency(latencySamples),
    latencySamples,
    totals,
    skippedEvents,
    maxScheduleLagMs,
    drainMs,
    connectMs,
    cpuCores,
    eventLoopUtilization,
    ...(socket ? { live: { latency: summarizeLatency(liveSamples), samples: liveSamples, ...live } } : {}),
  };
}

/** Every client opened, so that they are closed whatever happened. */
const clients: MqttClient[] = [];
const sockets: Socket[] = [];

const sendAndWait = (message: GeneratorMessage) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));

async function shutdown(code: number): Promise<never> {
  for (const s of sockets) s.disconnect();
  await withTimeout(Promise.all(clients.map((c) => c.endAsync(false))), 10_000, 'disconnecting').catch(() => {});
  process.exit(code);
}

/** Resolves when the benchmark says every generator is connected. */
const go = new Promise<void>((resolve) =>
  process.on('message', (message: GoCommand) => {
    if (message?.type === 'go') resolve();
  }),
);

process.once('message', (message: RunCommand) => {
  if (message?.type !== 'run') {
    void sendAndWait({ type: 'failed', message: `unexpected first message ${JSON.stringify(message).slice(0, 100)}` }).then(() =>
      shutdown(2),
    );
    return;
  }
  run(message).then(
    (result) => sendAndWait({ type: 'result', result }).then(() => shutdown(0)),
    (error: unknown) => sendAndWait({ type: 'failed', message: (error as Error).stack ?? String(error) }).then(() => shutdown(1)),
  );
});

// The generator never outlives its parent.
process.on('disconnect', () => process.exit(3));
