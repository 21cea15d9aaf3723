/**
 * Debian's Mosquitto for the benchmark: started on a free loopback port, anonymous, no queue
 * limit (its default of 1,000 queued QoS 1 messages per subscriber silently drops the rest, see
 * mosquitto.conf(5), max_queued_messages), no persistence. And the "echo collector" of the wire-limit run:
 * a bare MQTT.js subscriber that answers every events message with an ack holding its ids, without
 * validating or storing anything, so that the same load generator measures the broker's round trip.
 * And the raw command-line run: `mosquitto_pub -l` → `mosquitto_sub -C N`, QoS 1, one way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface RunningMosquitto {
  url: string;
  port: number;
  pid: number | undefined;
  /** Its CPU seconds so far (user + system). */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** user + system CPU seconds of a process, from /proc (Linux); NaN elsewhere. */
export async function processCpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

export async function startMosquitto(): Promise<RunningMosquitto> {
  const dir = await mkdtemp(join(os.tmpdir(), 'kiosk-fleet-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mosquitto did not start within 10 s')), 10_000);
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    cpu: () => processCpuSeconds(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Counters of the echo collector, shaped like the fields of IngestStats the benchmark reads. */
export interface EchoStats {
  messagesIn: number;
  eventsStored: number;
  acksSent: number;
}

/** Subscribes `{root}/+/events` QoS 1 and acks every event id back on `{root}/{id}/acks` QoS 1. */
export async function startEchoCollector(url: string, topicRoot: string) {
  const client = await mqtt.connectAsync(url, {
    clientId: `bench-echo-${process.pid}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
  });
  const stats: EchoStats = { messagesIn: 0, eventsStored: 0, acksSent: 0 };
  const depth = topicRoot.split('/').length;
  // Like the collector, one ack message per machine for everything that arrived in one turn of the
  // event loop (the collector acks per store commit), so both send the machines similar ack traffic.
  let pending = new Map<string, string[]>();
  const flush = () => {
    const batch = pending;
    pending = new Map();
    for (const [kioskId, ids] of batch) {
      stats.acksSent += 1;
      client.publish(`${topicRoot}/${kioskId}/acks`, JSON.stringify({ stored: ids }), { qos: 1 });
    }
  };
  client.on('message', (topic, payload) => {
    stats.messagesIn += 1;
    const kioskId = topic.split('/')[depth]!;
    const parsed = JSON.parse(payload.toString('utf8')) as { id: string } | { id: string }[];
    const ids = Array.isArray(parsed) ? parsed.map((e) => e.id) : [parsed.id];
    stats.eventsStored += ids.length;
    if (pending.size === 0) setImmediate(flush);
    const list = pending.get(kioskId);
    if (list) list.push(...ids);
    else pending.set(kioskId, ids);
  });
  await client.subscribeAsync(`${topicRoot}/+/events`, { qos: 1 });
  return {
    stats: () => ({ ...stats }),
    stop: () => client.endAsync(),
  };
}

export interface CliWireResult {
  messages: number;
  publishers: number;
  seconds: number;
  perSecond: number;
  received: number;
  mosquittoCpuCores: number;
  /** The `mosquitto_pub` processes together, and `mosquitto_sub`, over the run (sampled every 50 ms). */
  publishersCpuCores: number;
  subscriberCpuCores: number;
}

/**
 * `mosquitto_sub -q 1 -C N` subscribed first, then `publishers` × `mosquitto_pub -q 1 -l`, each
 * publishing its share of N event-sized lines from a pipe on its own topic (one publisher process
 * cannot keep Mosquitto busy); timed from the publishers' start to the subscriber's exit after the Nth message.
 * The pipe stays open until the subscriber is done: at end of input, mosquitto_pub 2.0.11 exits
 * without waiting for its queued QoS 1 messages (a first try from a file delivered 34 % of them).
 */
export async function runCliWire(
  messages: number,
  maxInflight: number,
  publishers: number,
  timeoutMs = 60_000,
): Promise<CliWireResult> {
  const broker = await startMosquitto();
  const host = ['-h', '127.0.0.1', '-p', String(broker.port)];
  const children: ChildProcess[] = [];
  try {
    const sub = spawn('mosquitto_sub', [...host, '-q', '1', '-t', 'bench/+/events', '-C', String(messages)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(sub);
    let received = 0;
    sub.stdout!.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) received += 1;
    });
    const subExited = new Promise<void>((resolve) => sub.once('close', () => resolve()));
    // Let it subscribe before anything is published: nothing is queued for a session not yet there.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const line = (i: number) =>
      `{"id":"WIRE-${String(i).padStart(8, '0')}","ts":"2026-11-22T00:00:00.000Z","type":"loan","itemId":"B${(i * 7919) % 1_000_000}"}\n`;
    const inputs = Array.from({ length: publishers }, (_, p) =>
      Buffer.from(Array.from({ length: Math.ceil((messages - p) / publishers) }, (_, i) => line(i * publishers + p)).join('')),
    );
    // The clients' CPU: their last /proc sample before they exit (every 50 ms; they start at 0).
    const lastCpu = new Map<number, number>();
    const sampleClients = async () => {
      for (const c of children) {
        const seconds = await processCpuSeconds(c.pid);
        if (c.pid !== undefined && Number.isFinite(seconds)) lastCpu.set(c.pid, seconds);
      }
    };
    const sampler = setInterval(() => void sampleClients(), 50);
    const cpuAtStart = await broker.cpu();
    const start = performance.now();
    inputs.forEach((input, p) => {
      const topic = `bench/WIRE-${p + 1}/events`;
      const pub = spawn('mosquitto_pub', [...host, '-q', '1', '-t', topic, '-l', '-M', String(maxInflight)], {
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      children.push(pub);
      pub.stdin!.on('error', () => {});
      pub.stdin!.write(input); // and keep stdin open until the subscriber has everything
    });
    const timer = setTimeout(() => sub.kill('SIGKILL'), timeoutMs);
    await subExited;
    clearTimeout(timer);
    const seconds = (performance.now() - start) / 1000;
    await sampleClients();
    clearInterval(sampler);
    const cpu = (await broker.cpu()) - cpuAtStart;
    const cpuOf = (list: ChildProcess[]) => list.reduce((sum, c) => sum + (lastCpu.get(c.pid ?? -1) ?? 0), 0);
    return {
      messages,
      publishers,
      seconds,
      perSecond: received / seconds,
      received,
      mosquittoCpuCores: cpu / seconds,
      publishersCpuCores: cpuOf(children.slice(1)) / seconds,
      subscriberCpuCores: cpuOf([sub]) / seconds,
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await broker.stop();
  }
}
