/**
 * The reconnect storm: `stormMachines` machines (bench/cluster/storm-machines.ts, light MQTT.js
 * clients in child processes) connected through HAProxy to `stormNodes` nodes, each sending a
 * loan or return every `stormEventIntervalMs`; after a hold, one node is killed with SIGKILL (its
 * whole process group). Measured: for each of its machines, kill → connected again (through
 * HAProxy, to another node) and kill → its first ack after that; the surviving nodes' CPU over the
 * recovery; and after a drain, whether anything acked is missing from PostgreSQL, stored twice, or
 * never acked.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { summarizeLatency, type LatencySummary } from '../ipc.js';
import { type Engines, startCluster } from './running-cluster.js';
import { machinesOn } from './node-metrics.js';
import type { ClusterOptions } from './options.js';
import { cpuSecondsOf, treeCpuSecondsOf, rssMBOf } from './proc-stats.js';
import type { StormCounts, StormMessage, StormRecord, StormStart } from './storm-machines.js';

const CHILD = fileURLToPath(new URL('./storm-machines.ts', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface StormResult {
  machines: number;
  haproxies: number;
  nodes: number;
  connectSeconds: number;
  machinesPerNode: number[];
  /** Per node before the kill, over the hold: CPU cores and RSS. */
  holdNodeCpuCores: number[];
  holdNodeRssMB: number[];
  holdPostgresCpuCores: number;
  holdRedisCpuCores: number;
  killed: string;
  machinesOnKilled: number;
  affected: number;
  reconnect: LatencySummary;
  reconnectAndAck: LatencySummary;
  /** Kill → the last affected machine acked, or null when the timeout came first. */
  allBackSeconds: number | null;
  notBack: number;
  /** CPU cores of each surviving node from the kill until all were back. */
  recoveryNodeCpuCores: number[];
  closesBeforeKill: number;
  refused: number;
  sent: number;
  acked: number;
  unackedAtEnd: number;
  stored: { rows: number; distinct: number };
  problems: string[];
}

const sum = (all: StormCounts[], key: keyof StormCounts) => all.reduce((n, c) => n + c[key], 0);

async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) {
      process.stderr.write(`  ${what}: not within ${timeoutMs / 1000} s\n`);
      return false;
    }
    await sleep(100);
  }
  return true;
}

export async function runStorm(engines: Engines, options: ClusterOptions, log: (line: string) => void): Promise<StormResult> {
  const count = options.stormMachines;
  log(`reconnect storm: ${count} machines on ${options.stormNodes} nodes`);
  const cluster = await startCluster(engines, {
    nodeCount: options.stormNodes,
    machineCount: count,
    idPrefix: 'STORM',
    haproxyConfig: options.haproxyConfig,
    log,
  });
  const children: ChildProcess[] = [];
  try {
    const reports: Array<StormCounts & { isSending: boolean }> = [];
    const results: { counts: StormCounts; records: StormRecord[] }[] = [];
    const perChild = Math.ceil(count / options.stormChildren);
    for (let c = 0; c * perChild < count; c++) {
      const child = fork(CHILD, [], {
        cwd: PROJECT_ROOT,
        execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      child.on('message', (m: StormMessage) => {
        if (m.type === 'report') reports[c] = m;
        else results[c] = m;
      });
      child.send({
        type: 'start',
        mqttUrl: cluster.mqttUrls[c % cluster.mqttUrls.length]!,
        topicRoot: 'kiosks',
        machines: cluster.machines.slice(c * perChild, (c + 1) * perChild),
        eventIntervalMs: options.stormEventIntervalMs,
        connectConcurrency: 25,
      } satisfies StormStart);
    }
    const total = (key: keyof StormCounts) => sum(reports.filter(Boolean), key);
    const t0 = performance.now();
    if (!(await waitFor('every machine connected', 600_000, () => total('everConnected') + total('refused') >= count)))
      throw new Error(`only ${total('everConnected')} of ${count} machines connected`);
    const connectSeconds = (performance.now() - t0) / 1000;
    log(
      `  ${total('everConnected')} machines connected through HAProxy in ${connectSeconds.toFixed(1)} s, refused ${total('refused')}`,
    );

    const pgPid = await engines.postgres.serverPid();
    const holdStart = {
      t: performance.now(),
      nodes: cluster.nodes.map((n) => cpuSecondsOf(n.pid)),
      pg: treeCpuSecondsOf(pgPid),
      redis: cpuSecondsOf(engines.redis.pid()),
    };
    await sleep(options.stormHoldMs);
    const holdSeconds = (performance.now() - holdStart.t) / 1000;
    const holdNodeCpuCores = cluster.nodes.map((n, i) => (cpuSecondsOf(n.pid) - holdStart.nodes[i]!) / holdSeconds);
    const holdNodeRssMB = cluster.nodes.map((n) => rssMBOf(n.pid));
    const holdPostgresCpuCores = (treeCpuSecondsOf(pgPid) - holdStart.pg) / holdSeconds;
    const holdRedisCpuCores = (cpuSecondsOf(engines.redis.pid()) - holdStart.redis) / holdSeconds;
    const machinesPerNode = await Promise.all(cluster.nodes.map((n) => machinesOn(n, cluster.tokens.metrics)));
    log(
      `  machines per node ${machinesPerNode.join(' / ')}; node CPU over the hold ${holdNodeCpuCores.map((c) => c.toFixed(2)).join(' / ')} cores`,
    );

    // Kill the node holding the most machines.
    const victimIndex = machinesPerNode.reduce((best, n, i) => (n > machinesPerNode[best]! ? i : best), 0);
    const victim = cluster.nodes[victimIndex]!;
    const survivors = cluster.nodes.filter((n) => n !== victim);
    for (const child of children) child.send({ type: 'mark' });
    await sleep(200); // the mark reaches every child before the first close
    const survivorCpu = survivors.map((n) => cpuSecondsOf(n.pid));
    const killAt = Date.now();
    const killT = performance.now();
    await victim.kill();
    log(`  killed ${victim.name} (SIGKILL to its process group) holding ${machinesPerNode[victimIndex]} machines`);
    // Every affected machine back and acked, and the count of affected settled near the node's share.
    const isBack = () =>
      total('affected') >= Math.min(machinesPerNode[victimIndex]!, count) * 0.99 &&
      total('ackedAfter') >= total('affected') &&
      total('connected') >= count;
    const allBack = await waitFor('every machine of the killed node back and acked', options.stormTimeoutMs, isBack);
    const allBackSeconds = allBack ? (performance.now() - killT) / 1000 : null;
    const recoverySeconds = (performance.now() - killT) / 1000;
    const recoveryNodeCpuCores = survivors.map((n, i) => (cpuSecondsOf(n.pid) - survivorCpu[i]!) / recoverySeconds);
    log(
      `  ${total('affected')} machines affected; ${allBack ? `all back and acked in ${allBackSeconds!.toFixed(1)} s` : `${total('affected') - total('ackedAfter')} not back`}`,
    );

    // Drain: no new events; every outbox emptied (bounded), then the records.
    for (const child of children) child.send({ type: 'stop-sending' });
    // Counts reported after the machines stopped making events: an earlier report may show an
    // empty outbox between two events.
    await waitFor(
      'outboxes drained',
      options.drainTimeoutMs,
      () => children.every((_, c) => reports[c]?.isSending === false) && total('unacked') === 0,
    );
    for (const child of children) child.send({ type: 'finish' });
    await waitFor('results of every storm process', 30_000, () => results.filter(Boolean).length === children.length);
    const finals = results.map((r) => r.counts);
    const records = results.flatMap((r) => r.records);
    const since = (at: number | null) => (at === null ? Number.NaN : at - killAt);
    const reconnect = summarizeLatency(
      Float64Array.from(
        records.filter((r) => r.connectedAt !== null),
        (r) => since(r.connectedAt),
      ),
    );
    const reconnectAndAck = summarizeLatency(
      Float64Array.from(
        records.filter((r) => r.ackedAt !== null),
        (r) => since(r.ackedAt),
      ),
    );
    const stored = await cluster.countStored();
    const acked = sum(finals, 'acked');
    const unackedAtEnd = sum(finals, 'unacked');
    const problems: string[] = [];
    if (unackedAtEnd > 0) problems.push(`${unackedAtEnd} events never acked`);
    if (stored.rows !== acked) problems.push(`PostgreSQL holds ${stored.rows} events, ${acked} were acked`);
    if (stored.distinct !== stored.rows) problems.push(`PostgreSQL holds ${stored.rows - stored.distinct} duplicate ids`);
    if (!allBack)
      problems.push(`${records.length - records.filter((r) => r.ackedAt !== null).length} machines not back and acked in time`);
    const closesBeforeKill = sum(finals, 'closesBeforeMark');
    if (closesBeforeKill > 0) problems.push(`${closesBeforeKill} connections dropped before the kill`);
    return {
      machines: count,
      haproxies: cluster.mqttUrls.length,
      nodes: options.stormNodes,
      connectSeconds,
      machinesPerNode,
      holdNodeCpuCores,
      holdNodeRssMB,
      holdPostgresCpuCores,
      holdRedisCpuCores,
      killed: victim.name,
      machinesOnKilled: machinesPerNode[victimIndex]!,
      affected: records.length,
      reconnect,
      reconnectAndAck,
      allBackSeconds,
      notBack: records.filter((r) => r.ackedAt === null).length,
      recoveryNodeCpuCores,
      closesBeforeKill,
      refused: sum(finals, 'refused'),
      sent: sum(finals, 'sent'),
      acked,
      unackedAtEnd,
      stored,
      problems,
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cluster.close();
  }
}
