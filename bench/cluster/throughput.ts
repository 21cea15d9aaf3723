/**
 * Events/s and live-push latency through N nodes: a fresh cluster (database, Redis, N nodes,
 * HAProxy), the ingest bench's load generators connecting every machine through HAProxy (so
 * `leastconn` spreads them over the nodes), first saturated (closed loop, one event per message),
 * then at a fixed rate with a socket.io client on the dashboard through HAProxy; then the check
 * that the shared PostgreSQL holds exactly the events acked.
 */
import { runGenerators } from '../generators.js';
import type { GeneratorResult, RunCommand } from '../ipc.js';
import { type Engines, startCluster } from './running-cluster.js';
import { machinesOn } from './node-metrics.js';
import type { ClusterOptions } from './options.js';
import { costMeter, type WindowCosts } from './window-costs.js';

export interface Verification {
  acked: number;
  rows: number;
  distinct: number;
  problems: string[];
}

export interface ThroughputResult {
  nodes: number;
  machinesPerNode: number[];
  saturated: { generator: GeneratorResult; costs: WindowCosts | null };
  live: { generator: GeneratorResult; costs: WindowCosts | null };
  verification: Verification;
}

function problemsOf(result: GeneratorResult): string[] {
  const t = result.totals;
  const problems: string[] = [];
  if (t.unackedAtEnd > 0) problems.push(`${t.unackedAtEnd} events never acked`);
  if (t.unexpectedAcks > 0) problems.push(`${t.unexpectedAcks} duplicate or unknown acks`);
  if (t.rejectedEvents > 0) problems.push(`${t.rejectedEvents} events rejected`);
  if (t.publishErrors > 0) problems.push(`${t.publishErrors} publish errors`);
  if (t.unexpectedDisconnects > 0) problems.push(`${t.unexpectedDisconnects} disconnects`);
  return problems;
}

export async function runThroughput(
  engines: Engines,
  nodeCount: number,
  options: ClusterOptions,
  log: (line: string) => void,
): Promise<ThroughputResult> {
  log(`${nodeCount} node${nodeCount > 1 ? 's' : ''}: ${options.machines} machines`);
  const cluster = await startCluster(engines, {
    nodeCount,
    machineCount: options.machines,
    idPrefix: 'CLUSTER',
    haproxyConfig: options.haproxyConfig,
    log,
  });
  try {
    const pids = { postgres: await engines.postgres.serverPid(), redis: engines.redis.pid() };
    const base: Omit<RunCommand, 'load'> = {
      type: 'run',
      mqttUrl: cluster.mqttUrl,
      topicRoot: 'kiosks',
      machines: cluster.machines,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      drainTimeoutMs: options.drainTimeoutMs,
      connectConcurrency: 20,
    };
    const budgetMs = 90_000 + options.warmupMs + options.measureMs + options.drainTimeoutMs;
    let machinesPerNode: number[] = [];
    const run = async (what: string, command: RunCommand) => {
      const meter = costMeter(cluster, pids);
      const generator = await runGenerators(command, options.generators, budgetMs, {
        connected(count, connectMs) {
          log(`  ${what}: ${count} machines connected through HAProxy in ${(connectMs / 1000).toFixed(1)} s`);
          void Promise.all(cluster.nodes.map((n) => machinesOn(n, cluster.tokens.metrics))).then((m) => (machinesPerNode = m));
        },
        measureStart: () => meter.start(),
        measureEnd: () => meter.end(),
      });
      const costs = await meter.result();
      log(
        `  ${what}: ${Math.round(generator.windowAckedEvents / generator.windowSeconds)} events/s acked, p99 ${generator.latency.p99Ms.toFixed(1)} ms` +
          (generator.live ? `, push p99 ${generator.live.latency.p99Ms.toFixed(1)} ms` : ''),
      );
      return { generator, costs };
    };
    const saturated = await run('saturated', { ...base, load: { kind: 'closed', eventsPerMessage: 1, window: options.window } });
    const live = await run('live', {
      ...base,
      load: { kind: 'open', eventsPerMessage: 1, ratePerSecond: options.liveRate, maxUnackedPerMachine: 1_000 },
      live: { url: cluster.httpUrl, token: cluster.tokens.operator },
    });
    // Every ack follows a commit in PostgreSQL: what was acked is there now.
    const stored = await cluster.countStored();
    const acked = saturated.generator.totals.ackedEvents + live.generator.totals.ackedEvents;
    const problems = [...problemsOf(saturated.generator), ...problemsOf(live.generator)];
    if (stored.rows !== acked) problems.push(`PostgreSQL holds ${stored.rows} events, ${acked} were acked`);
    if (stored.distinct !== stored.rows) problems.push(`PostgreSQL holds ${stored.rows - stored.distinct} duplicate ids`);
    if (live.generator.live && live.generator.live.received < live.generator.live.published)
      problems.push(`${live.generator.live.published - live.generator.live.received} events of the live window never pushed`);
    return {
      nodes: nodeCount,
      machinesPerNode,
      saturated,
      live,
      verification: { acked, rows: stored.rows, distinct: stored.distinct, problems },
    };
  } finally {
    await cluster.close();
  }
}
