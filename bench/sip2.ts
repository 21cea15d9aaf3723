/**
 * `npm run bench:sip2`: the latency the SIP2 bridge adds to a machine's transactions.
 *
 * The platform runs in a process of its own (`kiosk-fleet start`: embedded broker, collector,
 * dashboard), as in production. This process holds a simulated library system (ACS) on loopback,
 * a SIP2 bridge in front of it that reports every machine through its own agent, and the machines. Each of `--machines` machines holds two SIP2
 * connections: one through the bridge, one straight to the ACS. Checkouts and checkins are sent
 * at `--rate` per second in total, spread over the machines at random and alternating between the
 * two paths, and each round trip is timed. The added latency is the bridge's percentile minus the
 * direct one (a difference of percentiles, not the percentile of differences).
 *
 *   npm run bench:sip2 -- [--machines 500] [--rate 50] [--duration 60] [--warmup 5]
 *                         [--bridge-node-options='--max-semi-space-size=16']
 *
 * Prints one JSON object: the settings, the load average before and after, both latency
 * distributions in ms, how many bridged transactions reached the platform's history, and the
 * bridge's own account of its share (answer path, GC pauses; extra information,
 * never the target). `--bridge-node-options` become the bridge process's NODE_OPTIONS.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createLocalTime } from '../agent/local-time.js';
import { createLogger } from '../cli/logger.js';
import { openFoundation } from '../platform/foundation.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../config/config.js';
import { encodeSip2 } from '../sip2/codec/encode.js';
import { formatSip2Date } from '../sip2/codec/sip2-date.js';
import { startSimulatedAcs } from '../sip2/sim/acs-server.js';
import { connectSip2Client, type Sip2Client } from '../sip2/sim/sip2-client.js';
import { startCliChild } from './cli-child.js';
import { freePort } from './mosquitto.js';

/** The platform's settings, for this process's registry and the child platform alike. */
const PLATFORM_SETTINGS: Record<string, string> = {
  ...LOOPBACK_SETTINGS,
  PASSWORD_SCRYPT_N: '16384',
  FLEET_ADMIN_PASSWORD: 'bench-password-123',
  MAX_CONNECTIONS: '0',
  PUBLISH_RATE_PER_KIOSK: '0',
};

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '500' },
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    'bridge-node-options': { type: 'string', default: '' },
    'bridge-data-dir': { type: 'string' },
  },
});
const machines = Number(values.machines);
const ratePerSecond = Number(values.rate);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const bridgeNodeOptions = values['bridge-node-options'];
/** Where the bridge keeps its outbox: by default beside the platform's files, on the same disk. */
const bridgeDataDir = values['bridge-data-dir'];
const loadAverage = () => os.loadavg().map((load) => Math.round(load * 100) / 100);
const TZ = 'Asia/Shanghai';

const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * The bridge process's CPU time and wake-ups (voluntary context switches) so far, from /proc
 * (Linux): far less sensitive to a busy machine than latency, so A/B runs on a shared machine
 * can compare the work the bridge does even when its latency is swamped by the load.
 */
async function processCounters(pid: number | undefined): Promise<{ cpuMs: number; wakeups: number } | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses): utime and stime are the 12th and 13th, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100;
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const wakeups = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return { cpuMs, wakeups };
  } catch {
    return undefined;
  }
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const round = roundMs;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const dataDir = await mkdtemp(join(os.tmpdir(), 'bench-sip2-'));
  const config = parseConfig({ ...PLATFORM_SETTINGS, DATA_DIR: dataDir });
  const logger = createLogger('silent');
  // The machines, registered before the platform starts; the platform runs in a process of its
  // own, as in production, so its ingest does not share this process's event loop with the bridge.
  const foundation = await openFoundation(config, logger);
  const rows = ['kiosk_id,token,login_user_id,location_code,address'];
  const ids: string[] = [];
  for (let i = 1; i <= machines; i++) {
    const id = `BS-${String(i).padStart(4, '0')}`;
    const { token } = await foundation.registry.provision({
      id,
      name: `Bench SIP2 ${i}`,
      district: 'Bench',
      lat: 39.9,
      lon: 116.4,
    });
    rows.push(`${id},${token},${id},,`);
    ids.push(id);
  }
  await foundation.registry.close();
  const mqttPort = await freePort();
  const platform = await startCliChild(
    'start',
    { ...PLATFORM_SETTINGS, DATA_DIR: dataDir, MQTT_PORT: String(mqttPort) },
    'platform running',
  );
  const mapFile = join(dataDir, 'sip2-map.csv');
  await writeFile(mapFile, `${rows.join('\n')}\n`);
  await chmod(mapFile, 0o600);
  const acs = await startSimulatedAcs({ isOnline: true, isCheckinOk: true, isCheckoutOk: true, institution: 'BENCH' });
  // The bridge too runs as deployed, `kiosk-fleet sip2-bridge` in a process of its own: here it
  // would share an event loop with the 1,000 client connections that time it.
  const bridgePort = await freePort();
  let bridgeStopped: string | undefined;
  const bridge = await startCliChild(
    'sip2-bridge',
    {
      DATA_DIR: bridgeDataDir ?? join(dataDir, 'bridge'),
      MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
      SIP2_LISTEN_PORT: String(bridgePort),
      SIP2_UPSTREAM: `127.0.0.1:${acs.port}`,
      SIP2_MAP: mapFile,
      FLEET_TZ: TZ,
      ...(bridgeNodeOptions ? { NODE_OPTIONS: bridgeNodeOptions } : {}),
    },
    'SIP2 bridge running',
    (line) => {
      if (line.includes('SIP2 bridge stopped')) bridgeStopped = line;
    },
  );
  const local = createLocalTime(TZ);
  const pairs: Array<{ id: string; viaBridge: Sip2Client; direct: Sip2Client }> = [];
  for (const id of ids) {
    const viaBridge = await connectSip2Client('127.0.0.1', bridgePort);
    const direct = await connectSip2Client('127.0.0.1', acs.port);
    const login = encodeSip2(
      '93',
      ['0', '0'],
      [
        ['CN', id],
        ['CO', 'bench'],
      ],
    );
    await Promise.all([viaBridge.request(login), direct.request(login)]);
    pairs.push({ id, viaBridge, direct });
  }

  const samples = { bridge: [] as number[], direct: [] as number[] };
  let bridged = 0;
  let sequence = 0;
  const transaction = (id: string) => {
    sequence++;
    const date = formatSip2Date(Date.now(), local);
    const item = `B${id}-${sequence}`;
    return sequence % 2 === 0
      ? encodeSip2(
          '11',
          ['N', 'N', date, ' '.repeat(18)],
          [
            ['AO', 'BENCH'],
            ['AA', 'P-BENCH'],
            ['AB', item],
            ['AC', ''],
          ],
        )
      : encodeSip2(
          '09',
          ['N', date, date],
          [
            ['AP', 'BENCH'],
            ['AO', 'BENCH'],
            ['AB', item],
            ['AC', ''],
          ],
        );
  };
  const inFlight: Promise<void>[] = [];
  const intervalMs = 1000 / ratePerSecond;
  const startMs = performance.now();
  let measuredFromMs = startMs;
  let bridgeAtStart: { cpuMs: number; wakeups: number } | undefined;
  const endMs = startMs + (warmupS + durationS) * 1000;
  for (let n = 0; performance.now() < endMs; n++) {
    const pair = pairs[Math.floor(Math.random() * pairs.length)]!;
    const isBridge = n % 2 === 0;
    const client = isBridge ? pair.viaBridge : pair.direct;
    const sentMs = performance.now();
    const isMeasured = sentMs - startMs >= warmupS * 1000;
    if (isMeasured && bridgeAtStart === undefined) {
      measuredFromMs = sentMs;
      bridgeAtStart = await processCounters(bridge.pid);
    }
    inFlight.push(
      client.request(transaction(pair.id)).then(() => {
        if (isBridge) bridged += 1;
        if (isMeasured) (isBridge ? samples.bridge : samples.direct).push(performance.now() - sentMs);
      }),
    );
    await delay(Math.max(0, startMs + (n + 1) * intervalMs - performance.now()));
  }
  await Promise.allSettled(inFlight);
  const measuredS = (performance.now() - measuredFromMs) / 1000;
  const bridgeAtEnd = await processCounters(bridge.pid);
  const bridgeWork =
    bridgeAtStart && bridgeAtEnd
      ? {
          cpuMsPerSecond: roundMs((bridgeAtEnd.cpuMs - bridgeAtStart.cpuMs) / measuredS),
          wakeupsPerSecond: Math.round((bridgeAtEnd.wakeups - bridgeAtStart.wakeups) / measuredS),
        }
      : undefined;
  // Every transaction the bridge saw must reach the platform's history: wait until it holds them.
  const events = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
  const storedCount = () =>
    (events.prepare("SELECT count(*) AS n FROM events WHERE type IN ('loan', 'return')").get() as { n: number }).n;
  const drainDeadline = Date.now() + 60_000;
  while (storedCount() < bridged && Date.now() < drainDeadline) await delay(200);
  const stored = storedCount();
  events.close();

  const loadAfter = loadAverage();
  for (const pair of pairs) {
    pair.viaBridge.close();
    pair.direct.close();
  }
  await bridge.stop();
  await acs.stop();
  await platform.stop();
  const viaBridge = percentiles(samples.bridge);
  const direct = percentiles(samples.direct);
  const bridgeOwn = bridgeStopped === undefined ? undefined : (JSON.parse(bridgeStopped) as { answerTiming?: unknown });
  console.log(
    JSON.stringify(
      {
        settings: {
          machines,
          ratePerSecond,
          durationS,
          warmupS,
          cpus: os.cpus().length,
          node: process.version,
          bridgeNodeOptions,
        },
        loadAverage: { before: loadBefore, after: loadAfter },
        latencyMs: { viaBridge, direct },
        addedMs: { p50: roundMs(viaBridge.p50 - direct.p50), p99: roundMs(viaBridge.p99 - direct.p99) },
        platform: { transactionsThroughBridge: bridged, storedLoansAndReturns: stored },
        bridgeProcess: bridgeWork,
        bridgeOwn: bridgeOwn?.answerTiming,
      },
      null,
      2,
    ),
  );
  await rm(dataDir, { recursive: true, force: true });
}

await main();
