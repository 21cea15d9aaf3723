/** The markdown `npm run bench` prints, and writes into docs/benchmarks.md with `--write`. */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliWireResult } from '../mosquitto.js';
import { formatProfile } from '../profile.js';
import type { ReplayBenchResult } from '../replay.js';
import type { Options, ScenarioName } from './options.js';
import type { RunResult } from './run-scenario.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DOC = join(PROJECT_ROOT, 'docs', 'benchmarks.md');
const RESULTS_BEGIN = '<!-- bench:results:begin -->';
const RESULTS_END = '<!-- bench:results:end -->';

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
export const ms = (n: number) => (n < 10 ? fmt(n, 1) : fmt(n));

function loadColumn(r: RunResult): string {
  const { load } = r.scenario;
  return load.kind === 'closed'
    ? `${load.eventsPerMessage} ev/msg, ≤ ${load.window} unacked/machine`
    : `${load.eventsPerMessage} ev/msg, ${fmt(load.ratePerSecond)} ev/s offered`;
}

function resultsTable(results: RunResult[]): string {
  const lines = [
    '| scenario | run | load | acked events/s | messages/s | latency p50 / p90 / p99 / max (ms) | platform CPU, cores (main thread) | platform loop busy | generator CPU (cores) | platform RSS peak | stored = acked |',
    '|---|---:|---|---:|---:|---|---:|---:|---:|---:|---|',
  ];
  for (const r of results) {
    const g = r.generator;
    const l = g.latency;
    const v = r.verification;
    lines.push(
      [
        r.scenario.title,
        r.run,
        loadColumn(r),
        `**${fmt(g.windowAckedEvents / g.windowSeconds)}**`,
        fmt(g.windowSentMessages / g.windowSeconds),
        `${ms(l.p50Ms)} / ${ms(l.p90Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)}`,
        `${fmt(r.platform.cpuCores, 2)}${r.platform.mainThreadCpuCores === null ? '' : ` (${fmt(r.platform.mainThreadCpuCores, 2)})`}`,
        `${fmt(r.platform.eventLoopUtilization * 100)} %`,
        fmt(g.cpuCores, 2),
        `${fmt(r.platform.rssPeakMB)} MB`,
        v.ok ? `yes: ${fmt(v.storeCount)}` : `**NO**: ${v.problems.join('; ')}`,
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    );
  }
  return lines.join('\n');
}

function spreadTable(results: RunResult[]): string {
  const byScenario = new Map<string, RunResult[]>();
  for (const r of results) byScenario.set(r.scenario.title, [...(byScenario.get(r.scenario.title) ?? []), r]);
  const lines = [
    '| scenario | runs | acked events/s min – max | spread | p99 latency min – max (ms) |',
    '|---|---:|---|---:|---|',
  ];
  for (const runs of byScenario.values()) {
    const rates = runs.map((r) => r.generator.windowAckedEvents / r.generator.windowSeconds);
    const p99s = runs.map((r) => r.generator.latency.p99Ms);
    const lo = Math.min(...rates);
    const hi = Math.max(...rates);
    const mid = (lo + hi) / 2;
    lines.push(
      `| ${runs[0]!.scenario.title} | ${runs.length} | ${fmt(lo)} – ${fmt(hi)} | ±${fmt(((hi - lo) / 2 / mid) * 100, 1)} % | ${ms(Math.min(...p99s))} – ${ms(Math.max(...p99s))} |`,
    );
  }
  return lines.join('\n');
}

function detailLines(results: RunResult[]): string {
  return results
    .map((r) => {
      const g = r.generator;
      const p = r.platform;
      return (
        `- ${r.scenario.title}, run ${r.run}: collector stored ${fmt(p.storedPerSecond)} ev/s, received ${fmt(p.messagesInPerSecond)} msg/s, ` +
        `sent ${fmt(p.acksSentPerSecond)} acks/s` +
        (p.mainThreadCpuCores !== null && p.storedPerSecond > 0
          ? `; platform CPU per event stored ${fmt((p.mainThreadCpuCores * 1e6) / p.storedPerSecond, 1)} µs on the main thread + ` +
            `${fmt(((p.cpuCores - p.mainThreadCpuCores) * 1e6) / p.storedPerSecond, 1)} µs on others`
          : '') +
        (p.io
          ? ` (per event stored: ${fmt(p.io.readSyscallsPerEvent, 1)} read and ${fmt(p.io.writeSyscallsPerEvent, 1)} write syscalls, ${fmt(p.io.diskBytesPerEvent / 1024, 1)} KiB to disk)`
          : '') +
        (p.brokerCpuCores !== null ? `; Mosquitto used ${fmt(p.brokerCpuCores, 2)} cores` : '') +
        `; machines received ${fmt(g.windowAckMessages / g.windowSeconds)} ack messages/s; ` +
        `generator loop busy ${fmt(g.eventLoopUtilization * 100)} %; totals sent ${fmt(g.totals.sentEvents)}, acked ${fmt(g.totals.ackedEvents)}, ` +
        `drained in ${fmt(g.drainMs)} ms` +
        (r.scenario.load.kind === 'open'
          ? `; schedule lag max ${ms(g.maxScheduleLagMs)} ms, skipped ${fmt(g.skippedEvents)}`
          : '') +
        `; latency mean ${ms(g.latency.meanMs)} ms, p99.9 ${ms(g.latency.p999Ms)} ms.`
      );
    })
    .join('\n');
}

/** The commit measured, and whether the tree had changes on top of it. */
export function measuredCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    // Docs aside: `--write` itself changes docs/benchmarks.md between two runs of the same code.
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'commit unknown (not a git checkout)';
  }
}

function environment(options: Options): string {
  const cpus = os.cpus();
  return [
    `${measuredCommit()}.`,
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ` +
      `Node ${process.version}, ${os.type()} ${os.release()}.`,
    `${options.machines} machines; warm-up ${options.warmupMs / 1000} s, measured ${options.measureMs / 1000} s; SQLite synchronous=${options.synchronous}, WAL` +
      (options.profile ? '; **the V8 profiler was on: figures are lower than without it**' : '') +
      '.',
  ].join('\n');
}

export const rateOf = (r: RunResult) => r.generator.windowAckedEvents / r.generator.windowSeconds;

/** Ratios of the median rates of scenario pairs measured in this invocation. */
function ratiosTable(results: RunResult[], cliRuns: CliWireResult[]): string | null {
  const median = (name: ScenarioName) => {
    const rates = results
      .filter((r) => r.scenario.name === name)
      .map(rateOf)
      .sort((a, b) => a - b);
    return rates.length === 0 ? null : rates[Math.floor((rates.length - 1) / 2)]!;
  };
  const pairs: [string, ScenarioName, ScenarioName][] = [
    ['platform (aedes) ÷ wire limit, one event per message', 'single', 'wire'],
    ['platform via Mosquitto ÷ wire limit, one event per message', 'mosquitto', 'wire'],
    ['platform (aedes) ÷ platform via Mosquitto, one event per message', 'single', 'mosquitto'],
    ['platform (aedes) ÷ platform via Mosquitto, batched', 'batch', 'mosquitto-batch'],
    ['platform (aedes) batched ÷ wire limit (events/s)', 'batch', 'wire'],
  ];
  // With other work on the machine, runs a minute apart differ more than scenarios do: the ratio of
  // the two scenarios' runs of the same repeat (seconds apart) is shown beside the medians'.
  const rateIn = (name: ScenarioName, run: number) => {
    const r = results.find((x) => x.scenario.name === name && x.run === run);
    return r ? rateOf(r) : null;
  };
  const runs = [...new Set(results.map((r) => r.run))];
  const lines = [
    '| ratio of acked events/s | numerator | denominator | ratio | ratio in each repeat |',
    '|---|---:|---:|---:|---|',
  ];
  for (const [title, a, b] of pairs) {
    const x = median(a);
    const y = median(b);
    const each = runs.flatMap((run) => {
      const [xr, yr] = [rateIn(a, run), rateIn(b, run)];
      return xr !== null && yr !== null ? [fmt(xr / yr, 2)] : [];
    });
    if (x !== null && y !== null) lines.push(`| ${title} | ${fmt(x)} | ${fmt(y)} | **${fmt(x / y, 2)}** | ${each.join(' · ')} |`);
  }
  const cli = cliRuns.map((r) => r.perSecond).sort((a, b) => a - b)[Math.floor((cliRuns.length - 1) / 2)];
  if (cli !== undefined)
    for (const [title, a] of [
      ['platform (aedes), one event per message ÷ mosquitto_pub → mosquitto_sub', 'single'],
      ['platform via Mosquitto, one event per message ÷ mosquitto_pub → mosquitto_sub', 'mosquitto'],
      ['wire limit round trip (Mosquitto + echo) ÷ mosquitto_pub → mosquitto_sub', 'wire'],
    ] as const) {
      const x = median(a);
      if (x !== null) lines.push(`| ${title} | ${fmt(x)} | ${fmt(cli)} | **${fmt(x / cli, 2)}** | |`);
    }
  return lines.length > 2 ? lines.join('\n') : null;
}

function liveTable(results: RunResult[]): string | null {
  const live = results.filter((r) => r.generator.live);
  if (live.length === 0) return null;
  const lines = [
    '| scenario | run | events published in window | received in a push | pushes/s | publish → push p50 / p90 / p99 / max (ms) | publish → ack p50 / p99 (ms) |',
    '|---|---:|---:|---:|---:|---|---|',
  ];
  for (const r of live) {
    const l = r.generator.live!;
    const a = r.generator.latency;
    lines.push(
      `| ${r.scenario.title} | ${r.run} | ${fmt(l.published)} | ${fmt(l.received)} | ${fmt(l.pushes / r.generator.windowSeconds, 1)} | ` +
        `${ms(l.latency.p50Ms)} / ${ms(l.latency.p90Ms)} / **${ms(l.latency.p99Ms)}** / ${ms(l.latency.maxMs)} | ${ms(a.p50Ms)} / ${ms(a.p99Ms)} |`,
    );
    const b = r.browser;
    if (b)
      lines.push(
        `| the same, into a page in Chromium (every generator's events; ms clock) | ${r.run} | | ${fmt(b.received)} | | ` +
          `${ms(b.latency.p50Ms)} / ${ms(b.latency.p90Ms)} / **${ms(b.latency.p99Ms)}** / ${ms(b.latency.maxMs)} | |`,
      );
  }
  return lines.join('\n');
}

function cliTable(runs: CliWireResult[]): string {
  return [
    '| wire limit, one way: `mosquitto_pub -q 1 -l` → Mosquitto → `mosquitto_sub -q 1 -C N` | run | publishers | messages received | seconds | messages/s | CPU (cores): Mosquitto · publishers · subscriber |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r, i) =>
        `| ${r.publishers} publisher${r.publishers > 1 ? 's' : ''}, one subscriber, ${fmt(r.messages)} event-sized messages | ${i + 1} | ${r.publishers} | ${fmt(r.received)} | ${fmt(r.seconds, 2)} | **${fmt(r.perSecond)}** | ` +
        `${fmt(r.mosquittoCpuCores, 2)} · ${fmt(r.publishersCpuCores, 2)} · ${fmt(r.subscriberCpuCores, 2)} |`,
    ),
  ].join('\n');
}

function replayTable(runs: ReplayBenchResult[]): string {
  return [
    "| replay | run | machines | events acked | seconds, child start → last ack | seconds, replay's own clock | events/s | replay CPU (s) | platform CPU (s) | platform RSS peak | stored = acked |",
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...runs.map(
      (r, i) =>
        `| \`kiosk-fleet replay --year ${r.year}\` | ${i + 1} | ${r.machines} | ${fmt(r.acked)} | **${fmt(r.wallSeconds, 1)}** | ${fmt(r.replaySeconds, 1)} | ${fmt(r.eventsPerSecond)} | ` +
        `${fmt(r.replayCpuSeconds, 1)} | ${fmt(r.platformCpuSeconds, 1)} | ${fmt(r.platformRssPeakMB)} MB | ${r.ok ? `yes: ${fmt(r.storedRows)}` : `**NO**: ${r.problems.join('; ')}`} |`,
    ),
  ].join('\n');
}

export function report(results: RunResult[], cliRuns: CliWireResult[], replays: ReplayBenchResult[], options: Options): string {
  const parts = [environment(options), ''];
  if (results.length > 0) parts.push(resultsTable(results), '');
  if (replays.length > 0) parts.push(replayTable(replays), '');
  if (options.repeat > 1) parts.push(spreadTable(results), '');
  if (cliRuns.length > 0) parts.push(cliTable(cliRuns), '');
  const ratios = ratiosTable(results, cliRuns);
  if (ratios) parts.push(ratios, '');
  const live = liveTable(results);
  if (live) parts.push(live, '');
  parts.push(detailLines(results), '');
  for (const r of results) if (r.profile) parts.push(formatProfile(r.profile, `${r.scenario.title}, run ${r.run}`));
  return parts.join('\n');
}

export async function writeDoc(text: string): Promise<void> {
  const doc = await readFile(DOC, 'utf8');
  const begin = doc.indexOf(RESULTS_BEGIN);
  const end = doc.indexOf(RESULTS_END);
  if (begin < 0 || end < begin) throw new Error(`${DOC} has no ${RESULTS_BEGIN} … ${RESULTS_END} section`);
  await writeFile(DOC, `${doc.slice(0, begin + RESULTS_BEGIN.length)}\n${text}\n${doc.slice(end)}`);
}
