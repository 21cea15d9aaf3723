/**
 * The replay scenario of `npm run bench` (`--scenarios replay`): one year of the 70-machine
 * reference fleet generated and ingested. This process hosts the platform as `kiosk-fleet start
 * --sim-kiosks 0` does (embedded broker, collector, dashboard; SQLite synchronous=FULL); a child
 * process runs `kiosk-fleet replay --year YYYY` (bench/replay-child.ts → cli/replay.ts →
 * simulator/replay.ts) against it. Timed from the child's start to its last ack; then the store,
 * reopened, must hold exactly the events the replay saw acked.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createLogger } from '../cli/logger.js';
import { startPlatform } from '../platform/index.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../config/config.js';
import { replayBootId } from '../simulator/replay.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./replay-child.ts', import.meta.url));

export interface ReplayBenchResult {
  year: number;
  machines: number;
  acked: number;
  rejected: number;
  reconnects: number;
  /** From the child's start (process, module loading, connections) to its last ack. */
  wallSeconds: number;
  /** The replay's own figure: from its first connection to its last ack. */
  replaySeconds: number;
  eventsPerSecond: number;
  replayCpuSeconds: number;
  platformCpuSeconds: number;
  platformRssPeakMB: number;
  storedRows: number;
  /** Events in the store that the replay did not send, by type (none expected). */
  otherRows: { type: string; n: number }[];
  ok: boolean;
  problems: string[];
}

interface ChildResult {
  type: 'result';
  wallMs: number;
  machines: number;
  acked: number;
  rejected: number;
  generated: number;
  reconnects: number;
  elapsedMs: number;
  eventsPerSecond: number;
  cpuSeconds: number;
}

export async function runReplayBench(year: number, machines: number, synchronous: 'FULL' | 'NORMAL'): Promise<ReplayBenchResult> {
  const dataDir = await mkdtemp(join(os.tmpdir(), 'kiosk-fleet-bench-replay-'));
  const env = {
    ...LOOPBACK_SETTINGS,
    DATA_DIR: dataDir,
    SQLITE_SYNCHRONOUS: synchronous,
  };
  const config = parseConfig(env);
  const platform = await startPlatform(config, createLogger(config.LOG_LEVEL));
  let stopped = false;
  try {
    const port = platform.broker?.port;
    if (port === undefined) throw new Error('the replay bench needs the embedded broker');
    const cpuAtStart = process.cpuUsage();
    let rssPeak = process.memoryUsage.rss();
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 250);
    const start = performance.now();
    const child = fork(CHILD, [String(year)], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env, MQTT_PORT: String(port), SIM_KIOSKS: String(machines) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    let result: ChildResult;
    try {
      result = await new Promise<ChildResult>((resolve, reject) => {
        child.on('message', (m: ChildResult | { type: 'failed'; message: string }) =>
          m.type === 'result' ? resolve(m) : reject(new Error(`replay failed: ${m.message}`)),
        );
        child.once('error', reject);
        child.once('exit', (code, signal) => reject(new Error(`replay exited (${signal ?? code}) before reporting`)));
      });
    } finally {
      clearTimeout(killer);
      clearInterval(sampler);
    }
    const wallSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    await platform.collector.ingest.drain();
    stopped = true;
    await platform.stop();

    const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
    let storedRows: number;
    let otherRows: { type: string; n: number }[];
    try {
      // Replay ids are `{kioskId}-r{seed base 36}-{seq}` (simulator/replay.ts), the seed being the year.
      const pattern = `%-${replayBootId(year)}-%`;
      storedRows = (db.prepare('SELECT count(*) AS n FROM events WHERE id LIKE ?').get(pattern) as { n: number }).n;
      otherRows = db.prepare('SELECT type, count(*) AS n FROM events WHERE id NOT LIKE ? GROUP BY type').all(pattern) as {
        type: string;
        n: number;
      }[];
    } finally {
      db.close();
    }
    const problems: string[] = [];
    if (storedRows !== result.acked) problems.push(`store holds ${storedRows} replayed events, ${result.acked} were acked`);
    if (result.rejected > 0) problems.push(`${result.rejected} events rejected`);
    return {
      year,
      machines: result.machines,
      acked: result.acked,
      rejected: result.rejected,
      reconnects: result.reconnects,
      wallSeconds,
      replaySeconds: result.elapsedMs / 1000,
      eventsPerSecond: result.eventsPerSecond,
      replayCpuSeconds: result.cpuSeconds,
      platformCpuSeconds: (cpu.user + cpu.system) / 1e6,
      platformRssPeakMB: rssPeak / 2 ** 20,
      storedRows,
      otherRows,
      ok: problems.length === 0,
      problems,
    };
  } finally {
    if (!stopped) await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
