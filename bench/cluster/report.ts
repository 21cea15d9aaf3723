/** The cluster bench's markdown: the run's setting, then one table per part. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { measuredCommit } from '../ingest/report.js';
import { EXAMPLE_HAPROXY_CONFIG } from './haproxy-config.js';
import type { ClusterOptions } from './options.js';
import type { StormResult } from './storm.js';
import type { ThroughputResult } from './throughput.js';
import type { WindowCosts } from './window-costs.js';

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
const ms = (n: number) => fmt(n, n < 10 ? 1 : 0);
const list = (values: number[], digits = 0) => values.map((v) => fmt(v, digits)).join(' · ');

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]!
      .trim();
  } catch {
    return `${command}: unknown`;
  }
}

export function environment(options: ClusterOptions, smoke: boolean): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return [
    `${measuredCommit()}${smoke ? ', `--smoke`' : ''}.`,
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}; load average at the end ${load}.`,
    `${version('/usr/sbin/haproxy', ['-v'])}; ${version('/usr/bin/redis-server', ['--version'])}; PostgreSQL with fsync on.`,
    ...(options.haproxyConfig === EXAMPLE_HAPROXY_CONFIG
      ? []
      : [`HAProxy configuration built on ${options.haproxyConfig}, not docs/haproxy.cfg.`]),
    ...(options.nodes.length > 0
      ? [
          `Throughput: ${options.machines} machines, ${options.generators} load generators, warm-up ${options.warmupMs / 1000} s, measured ` +
            `${options.measureMs / 1000} s; live push at ${fmt(options.liveRate)} events/s.`,
        ]
      : []),
  ].join('\n');
}

function perEvent(cores: number, eventsPerSecond: number): string {
  return eventsPerSecond > 0 ? fmt((cores * 1e6) / eventsPerSecond, 1) : '–';
}

function costRow(nodes: number, what: string, costs: WindowCosts | null, ackedPerSecond: number): string {
  if (!costs) return `| ${nodes} | ${what} | – | – | – | – | – | – |`;
  const cpu = costs.nodes.map((n) => n.cpuCores);
  const total = cpu.reduce((a, b) => a + b, 0);
  return (
    `| ${nodes} | ${what} | ${fmt(ackedPerSecond)} | ${list(costs.nodes.map((n) => n.storedPerSecond))} | ${list(cpu, 2)} | ` +
    `${list(
      costs.nodes.map((n) => n.cpuMicrosPerEvent),
      1,
    )} (all nodes ${perEvent(total, ackedPerSecond)}) | ` +
    `${fmt(costs.postgresCpuCores, 2)} · ${fmt(costs.redisCpuCores, 2)} · ${fmt(costs.haproxyCpuCores, 2)} | ` +
    `${perEvent(costs.postgresCpuCores, ackedPerSecond)} · ${perEvent(costs.redisCpuCores, ackedPerSecond)} · ${perEvent(costs.haproxyCpuCores, ackedPerSecond)} |`
  );
}

export function throughputTables(results: ThroughputResult[], options: ClusterOptions): string {
  const rate = (r: ThroughputResult['saturated']) => r.generator.windowAckedEvents / r.generator.windowSeconds;
  const main = [
    `| nodes | machines per node | acked events/s, saturated | publish → ack p50 / p99 (ms), saturated | publish → socket.io push p50 / p90 / p99 / max (ms) at ${fmt(options.liveRate)} ev/s | publish → ack p50 / p99 (ms) at ${fmt(options.liveRate)} ev/s | stored = acked in PostgreSQL |`,
    '| ----: | ----------------- | ------------------------: | --------------------------------------- | ------------------------------------------------------------ | ------------------------------------------ | ---------------------------- |',
    ...results.map((r) => {
      const s = r.saturated.generator;
      const l = r.live.generator;
      const push = l.live?.latency;
      const v = r.verification;
      return (
        `| ${r.nodes} | ${list(r.machinesPerNode)} | **${fmt(rate(r.saturated))}** | ${ms(s.latency.p50Ms)} / ${ms(s.latency.p99Ms)} | ` +
        (push ? `${ms(push.p50Ms)} / ${ms(push.p90Ms)} / **${ms(push.p99Ms)}** / ${ms(push.maxMs)}` : '–') +
        ` | ${ms(l.latency.p50Ms)} / ${ms(l.latency.p99Ms)} | ${v.problems.length === 0 ? `yes: ${fmt(v.rows)}` : `**no**: ${v.problems.join('; ')}`} |`
      );
    }),
  ];
  const costs = [
    '| nodes | window | acked events/s | stored/s per node | CPU cores per node | CPU µs per event stored, per node | CPU cores: PostgreSQL · Redis · HAProxy | µs per event acked: PostgreSQL · Redis · HAProxy |',
    '| ----: | ------ | -------------: | ----------------- | ------------------ | --------------------------------- | --------------------------------------- | ------------------------------------------------ |',
    ...results.flatMap((r) => [
      costRow(r.nodes, 'saturated', r.saturated.costs, rate(r.saturated)),
      costRow(r.nodes, `${fmt(options.liveRate)} ev/s`, r.live.costs, rate(r.live)),
    ]),
  ];
  return `${main.join('\n')}\n\n${costs.join('\n')}`;
}

export function stormTable(s: StormResult, options: ClusterOptions): string {
  const row = (what: string, value: string) => `| ${what} | ${value} |`;
  return [
    `| reconnect storm: ${fmt(s.machines)} machines, ${s.nodes} nodes, one event every ${options.stormEventIntervalMs / 1000} s each | |`,
    '| --- | --- |',
    row(
      s.haproxies > 1
        ? `all connected through ${s.haproxies} HAProxy processes (open-file limit)`
        : 'all connected through HAProxy',
      `${fmt(s.connectSeconds, 1)} s`,
    ),
    row('machines per node', list(s.machinesPerNode)),
    row(
      `over a ${options.stormHoldMs / 1000} s hold: CPU cores per node · RSS per node`,
      `${list(s.holdNodeCpuCores, 2)} · ${list(s.holdNodeRssMB)} MB`,
    ),
    row('over the hold: PostgreSQL · Redis CPU cores', `${fmt(s.holdPostgresCpuCores, 2)} · ${fmt(s.holdRedisCpuCores, 2)}`),
    row('killed (SIGKILL to its process group)', `${s.killed}, holding ${fmt(s.machinesOnKilled)} machines`),
    row('machines whose connection dropped', fmt(s.affected)),
    row(
      'kill → connected again p50 / p99 / max',
      `${fmt(s.reconnect.p50Ms / 1000, 1)} / ${fmt(s.reconnect.p99Ms / 1000, 1)} / ${fmt(s.reconnect.maxMs / 1000, 1)} s`,
    ),
    row(
      'kill → first ack after it p50 / p99 / max',
      `${fmt(s.reconnectAndAck.p50Ms / 1000, 1)} / ${fmt(s.reconnectAndAck.p99Ms / 1000, 1)} / **${fmt(s.reconnectAndAck.maxMs / 1000, 1)} s**`,
    ),
    row('not back and acked within the timeout', fmt(s.notBack)),
    row('surviving nodes, CPU cores from the kill until all were back', list(s.recoveryNodeCpuCores, 2)),
    row('connections refused (CONNACK) · dropped before the kill', `${fmt(s.refused)} · ${fmt(s.closesBeforeKill)}`),
    row('events sent · acked · unacked at the end', `${fmt(s.sent)} · ${fmt(s.acked)} · ${fmt(s.unackedAtEnd)}`),
    row(
      'PostgreSQL rows · distinct ids',
      `${fmt(s.stored.rows)} · ${fmt(s.stored.distinct)}: ${s.problems.length === 0 ? '**nothing lost, nothing twice**' : `**${s.problems.join('; ')}**`}`,
    ),
  ].join('\n');
}
