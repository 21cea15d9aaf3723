/**
 * `npm run bench:cluster`: several platform nodes (`kiosk-fleet start` processes, each with its
 * own DATA_DIR and process group) on one PostgreSQL and one Redis, behind HAProxy with the example
 * configuration of docs/haproxy.cfg. Measures events/s acked and publish → socket.io push latency
 * through 1, 2 and 3 nodes, the CPU each node, PostgreSQL, Redis and HAProxy spend per event, and
 * the reconnect storm when one node of a fleet of 10,000 connected machines is killed; checks
 * after each run that PostgreSQL holds exactly the events acked. Everything it starts is ended at
 * the end, also on failure. Progress to stderr, markdown to stdout; exit 1 if a check failed.
 *
 *   npm run bench:cluster -- [--nodes 1,2,3] [--machines 200] [--duration 15] [--storm-machines 10000] [--smoke]
 */
import { parseClusterOptions } from './cluster/options.js';
import { closeOpenClusters, startEngines } from './cluster/running-cluster.js';
import { environment, stormTable, throughputTables } from './cluster/report.js';
import { runStorm, type StormResult } from './cluster/storm.js';
import { runThroughput, type ThroughputResult } from './cluster/throughput.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const options = parseClusterOptions(argv);
  const engines = await startEngines();
  const throughput: ThroughputResult[] = [];
  let storm: StormResult | null = null;
  // Ctrl-C ends the run, and the finally below still stops every process started.
  const interrupted = new Promise<never>((_, reject) => process.once('SIGINT', () => reject(new Error('interrupted'))));
  try {
    await Promise.race([
      (async () => {
        for (const nodes of options.nodes) throughput.push(await runThroughput(engines, nodes, options, log));
        if (options.stormMachines > 0) storm = await runStorm(engines, options, log);
      })(),
      interrupted,
    ]);
  } finally {
    // After an interrupt the runs' own cleanups may not have come yet: end their clusters first.
    await closeOpenClusters();
    await engines.close();
  }
  const parts = [environment(options, argv.includes('--smoke'))];
  if (throughput.length > 0) parts.push(throughputTables(throughput, options));
  if (storm) parts.push(stormTable(storm, options));
  const problems = [...throughput.flatMap((t) => t.verification.problems), ...((storm as StormResult | null)?.problems ?? [])];
  process.stdout.write(`${parts.join('\n\n')}\n`);
  if (problems.length > 0) log(`checks failed: ${problems.join('; ')}`);
  return problems.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench:cluster failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
