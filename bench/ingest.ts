/**
 * `npm run bench`: end-to-end ingest throughput and latency.
 *
 * A machine publishes a QoS 1 event → the collector validates it and appends it durably to SQLite
 * → the collector publishes the application-level ack → the machine receives it. This process
 * hosts the whole platform (embedded broker + collector + dashboard, as `npm start` runs it, no
 * simulated fleet); the machines are real MQTT.js clients in a child process
 * (bench/load-generator.ts) with its own event loop. Each scenario gets a fresh data directory,
 * and ends by checking that the store holds exactly the events that were acked.
 *
 *   npm run bench -- [--machines 200] [--window 20[,50,…]] [--batch 50] [--batch-window 100]
 *                    [--rate 2000] [--warmup 3] [--duration 15] [--scenarios single,batch,rate]
 *                    [--repeat 1] [--synchronous FULL] [--profile] [--write] [--floor N] [--live-rate 1000]
 *                    [--cli-messages 200000] [--replay-year 2023]
 *
 * Scenarios beyond the platform's own: `mosquitto` / `mosquitto-batch` (the platform with Debian's
 * Mosquitto as its broker), `wire` (Mosquitto + a bare echo subscriber: the wire limit, round trip),
 * `wire-cli` (mosquitto_pub -l → mosquitto_sub, one way), `live` (publish → socket.io push), and
 * `replay` (kiosk-fleet replay --year, bench/replay.ts). `npm run bench:smoke` is the CI floor.
 */
import { type CliWireResult, runCliWire } from './mosquitto.js';
import { type ReplayBenchResult, runReplayBench } from './replay.js';
import { parseOptions } from './ingest/options.js';
import { DOC, fmt, ms, rateOf, report, writeDoc } from './ingest/report.js';
import { type RunResult, runScenario } from './ingest/run-scenario.js';
import { scenariosOf } from './ingest/scenarios.js';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const results: RunResult[] = [];
  const cliRuns: CliWireResult[] = [];
  const replays: ReplayBenchResult[] = [];
  for (let run = 1; run <= options.repeat; run++) {
    if (options.scenarios.includes('wire-cli')) {
      process.stderr.write(`wire limit, mosquitto_pub -l → mosquitto_sub (run ${run}/${options.repeat}) …\n`);
      const r = await runCliWire(options.cliMessages, 20, options.generators);
      process.stderr.write(
        `  ${fmt(r.received)} of ${fmt(r.messages)} messages in ${fmt(r.seconds, 2)} s: ${fmt(r.perSecond)} msg/s\n`,
      );
      cliRuns.push(r);
    }
    if (options.scenarios.includes('replay')) {
      process.stderr.write(`replay --year ${options.replayYear}, 70 machines (run ${run}/${options.repeat}) …\n`);
      const r = await runReplayBench(options.replayYear, 70, options.synchronous);
      process.stderr.write(
        `  ${fmt(r.acked)} events in ${fmt(r.wallSeconds, 1)} s (${fmt(r.eventsPerSecond)} ev/s); ${r.ok ? 'store = acked' : `PROBLEMS: ${r.problems.join('; ')}`}` +
          (r.otherRows.length > 0 ? `; other events stored: ${r.otherRows.map((o) => `${o.type} ${o.n}`).join(', ')}` : '') +
          '\n',
      );
      replays.push(r);
    }
    for (const scenario of scenariosOf(options)) {
      process.stderr.write(`${scenario.title} (run ${run}/${options.repeat}) …\n`);
      const result = await runScenario(scenario, run, options);
      const g = result.generator;
      process.stderr.write(
        `  ${fmt(g.windowAckedEvents / g.windowSeconds)} events acked/s, p99 ${ms(g.latency.p99Ms)} ms, ` +
          `platform ${fmt(result.platform.cpuCores, 2)} cores; ${result.verification.ok ? 'store = acked' : `PROBLEMS: ${result.verification.problems.join('; ')}`}\n`,
      );
      results.push(result);
    }
  }
  const text = report(results, cliRuns, replays, options);
  process.stdout.write(`${text}\n`);
  if (options.write) {
    await writeDoc(text);
    process.stderr.write(`results written to ${DOC}\n`);
  }
  if (results.some((r) => !r.verification.ok) || replays.some((r) => !r.ok)) process.exitCode = 1;
  if (options.floor > 0) {
    const saturatedSingles = results.filter((r) => r.scenario.name === 'single');
    for (const r of saturatedSingles) {
      if (rateOf(r) < options.floor) {
        process.stderr.write(
          `FAIL: ${r.scenario.title} acked ${fmt(rateOf(r))} events/s, below the floor of ${fmt(options.floor)}\n`,
        );
        process.exitCode = 1;
      }
    }
    if (saturatedSingles.length === 0) {
      process.stderr.write('FAIL: --floor needs the single scenario\n');
      process.exitCode = 1;
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
