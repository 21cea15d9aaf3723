/**
 * `npm run bench:scale`: 10,000 connected, authenticated machines sending telemetry every 30 s.
 *
 * The platform runs as `kiosk-fleet start` does, in its own process (embedded broker, collector,
 * dashboard; `SIM_KIOSKS=0`) on fixed loopback ports and a fresh data directory where the machines
 * were provisioned first. The fleet is split over several child processes (bench/scale-machines.ts),
 * one MQTT.js client per machine. Measured: the time to connect everyone, the platform's RSS
 * (sampled every 500 ms from /proc) while they all send telemetry for `--hold` seconds, then a
 * broker restart — the platform process is stopped (SIGTERM) and started again on the same ports
 * and data — and the time until every machine is connected again. Loopback only; every phase is
 * bounded in time.
 *
 *   npm run bench:scale -- [--machines 10000] [--children 4] [--telemetry 30] [--hold 65]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../cli/logger.js';
import { openFoundation } from '../platform/index.js';
import { issueBenchToken } from './api-token.js';
import { parseConfig } from '../config/config.js';
import type { MachineCredentials } from './ipc.js';
import { freePort } from './mosquitto.js';
import type { ScaleCommand, ScaleReport } from './scale-machines.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const MACHINES = fileURLToPath(new URL('./scale-machines.ts', import.meta.url));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
const log = (line: string) => process.stderr.write(`${line}\n`);

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memoryOf(pid: number | undefined): { rssMB: number; peakMB: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
  } catch {
    return { rssMB: Number.NaN, peakMB: Number.NaN };
  }
}

function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
  return performance.now() - start;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      machines: { type: 'string', default: '10000' },
      children: { type: 'string', default: '4' },
      telemetry: { type: 'string', default: '30' },
      hold: { type: 'string', default: '65' },
    },
  });
  const count = Number(values.machines);
  const childCount = Number(values.children);
  const telemetryMs = Number(values.telemetry) * 1000;
  const holdMs = Number(values.hold) * 1000;
  if (![count, childCount, telemetryMs, holdMs].every((n) => Number.isInteger(n) && n > 0)) throw new Error('bad flags');

  const dataDir = await mkdtemp(join(os.tmpdir(), 'kiosk-fleet-bench-scale-'));
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const env = {
    HOST: '127.0.0.1',
    PORT: String(httpPort),
    MQTT_PORT: String(mqttPort),
    MQTT_WS_PORT: 'off',
    DATA_DIR: dataDir,
    SIM_KIOSKS: '0',
    LOG_LEVEL: 'warn',
    // Every simulated machine connects from 127.0.0.1: no per-address rate, a cap with room for all.
    CONNECT_RATE_PER_ADDRESS: '0',
    MAX_CONNECTIONS: String(count + 1_000),
  };
  const config = parseConfig(env);
  const authorization = { authorization: `Bearer ${await issueBenchToken(dataDir, 'metrics')}` };
  const children: ChildProcess[] = [];
  let platform: ChildProcess | null = null;

  const startPlatformProcess = async (): Promise<{ child: ChildProcess; readyMs: number }> => {
    const t0 = performance.now();
    const child = fork(MAIN, ['start'], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await waitFor('platform ready', 60_000, async () => {
      if (child.exitCode !== null) throw new Error(`platform exited with ${child.exitCode}`);
      try {
        return (await fetch(`http://127.0.0.1:${httpPort}/api/v1/health/live`)).ok;
      } catch {
        return false;
      }
    });
    return { child, readyMs: performance.now() - t0 };
  };
  const stopPlatformProcess = async (child: ChildProcess): Promise<number> => {
    const t0 = performance.now();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    return performance.now() - t0;
  };

  try {
    // Provision the fleet in the registry, as `kiosk-fleet provision` would.
    const t0 = performance.now();
    const foundation = await openFoundation(config, createLogger('silent'));
    let machines: MachineCredentials[];
    try {
      const width = String(count).length;
      machines = (
        await foundation.registry.provisionMissing(
          Array.from({ length: count }, (_, i) => ({
            id: `SCALE-${String(i + 1).padStart(width, '0')}`,
            name: `Scale machine ${i + 1}`,
            district: `District ${(i % 20) + 1}`,
            lat: 39.9 + (i % 100) / 1000,
            lon: 116.4 + Math.floor(i / 100) / 10000,
          })),
        )
      ).map((p) => ({ id: p.kiosk.id, token: p.token }));
    } finally {
      await foundation.registry.close();
    }
    log(`provisioned ${fmt(machines.length)} machines in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    const first = await startPlatformProcess();
    platform = first.child;
    log(`platform pid ${platform.pid} ready in ${fmt(first.readyMs / 1000, 1)} s, RSS ${fmt(memoryOf(platform.pid).rssMB)} MB`);

    // The machines, spread over child processes.
    const reports: ScaleReport[] = [];
    const perChild = Math.ceil(count / childCount);
    for (let c = 0; c < childCount; c++) {
      const share = machines.slice(c * perChild, (c + 1) * perChild);
      if (share.length === 0) break;
      const child = fork(MACHINES, [], {
        cwd: PROJECT_ROOT,
        execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      reports[c] = { type: 'report', connected: 0, everConnected: 0, reconnections: 0, refused: 0, telemetrySent: 0 };
      child.on('message', (m: ScaleReport) => {
        if (m.type === 'report') reports[c] = m;
      });
      const command: ScaleCommand = {
        type: 'start',
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        topicRoot: config.TOPIC_ROOT,
        machines: share,
        telemetryMs,
        connectConcurrency: 25,
      };
      child.send(command);
    }
    const total = (key: keyof Omit<ScaleReport, 'type'>) => reports.reduce((sum, r) => sum + r[key], 0);

    const connectMs = await waitFor('all machines connected', 300_000, () => total('connected') >= count);
    log(
      `${fmt(count)} machines connected in ${fmt(connectMs / 1000, 1)} s (${childCount} processes), refused ${total('refused')}`,
    );

    // Hold: every machine sends telemetry every telemetryMs; sample the platform's memory.
    let rssMax = 0;
    const telemetryAtStart = total('telemetrySent');
    const cpuAtStart = cpuSecondsOf(platform.pid);
    const holdStart = performance.now();
    while (performance.now() - holdStart < holdMs) {
      rssMax = Math.max(rssMax, memoryOf(platform.pid).rssMB);
      await sleep(500);
    }
    const holdSeconds = (performance.now() - holdStart) / 1000;
    const memory = memoryOf(platform.pid);
    const platformCpu = (cpuSecondsOf(platform.pid) - cpuAtStart) / holdSeconds;
    const telemetryRate = (total('telemetrySent') - telemetryAtStart) / holdSeconds;
    const health = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`, { headers: authorization })).json()) as {
      components?: { broker?: { connectedKiosks?: number } };
    };
    log(
      `hold ${fmt(holdSeconds)} s: platform RSS ${fmt(memory.rssMB)} MB (max sampled ${fmt(rssMax)} MB, VmHWM ${fmt(memory.peakMB)} MB), ` +
        `CPU ${fmt(platformCpu, 2)} cores, telemetry ${fmt(telemetryRate)} msg/s, machines still connected ${fmt(total('connected'))}, ` +
        `broker says ${health.components?.broker?.connectedKiosks ?? '?'} connected kiosks`,
    );

    // Broker restart: stop the platform process, start it again on the same ports and data.
    const reconnectionsBefore = total('reconnections');
    const restartStart = performance.now();
    const stopMs = await stopPlatformProcess(platform);
    await waitFor('machines see the broker gone', 30_000, () => total('connected') === 0).catch(() => 0);
    const second = await startPlatformProcess();
    platform = second.child;
    const listeningAt = performance.now();
    const reconnectMs = await waitFor('all machines reconnected', 180_000, () => total('connected') >= count);
    const sinceStopMs = performance.now() - restartStart;
    const sinceReadyMs = performance.now() - listeningAt + second.readyMs;
    await sleep(5_000);
    const after = memoryOf(platform.pid);
    log(
      `restart: stop took ${fmt(stopMs / 1000, 1)} s, new platform ready in ${fmt(second.readyMs / 1000, 1)} s; all ${fmt(count)} reconnected ` +
        `${fmt(reconnectMs / 1000, 1)} s after it was ready, ${fmt(sinceReadyMs / 1000, 1)} s after its start, ${fmt(sinceStopMs / 1000, 1)} s after the stop ` +
        `(${fmt(total('reconnections') - reconnectionsBefore)} reconnections, refused ${total('refused')}); RSS 5 s later ${fmt(after.rssMB)} MB`,
    );
    const result = {
      machines: count,
      processes: childCount,
      telemetrySeconds: telemetryMs / 1000,
      connectSeconds: connectMs / 1000,
      holdSeconds,
      platformRssMB: memory.rssMB,
      platformRssMaxSampledMB: rssMax,
      platformVmHwmMB: memory.peakMB,
      platformCpuCores: platformCpu,
      telemetryPerSecond: telemetryRate,
      brokerConnectedKiosks: health.components?.broker?.connectedKiosks ?? null,
      stopSeconds: stopMs / 1000,
      restartReadySeconds: second.readyMs / 1000,
      reconnectAfterReadySeconds: reconnectMs / 1000,
      reconnectAfterStartSeconds: sinceReadyMs / 1000,
      reconnectAfterStopSeconds: sinceStopMs / 1000,
      rssAfterRestartMB: after.rssMB,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const c of children) if (c.connected) c.send({ type: 'stop' });
    await sleep(500);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (platform) await stopPlatformProcess(platform);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:scale failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
