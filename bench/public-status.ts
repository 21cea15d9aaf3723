/**
 * `npm run bench:public-status`: thousands of readers opening the public status page at once.
 *
 * The platform runs in a process of its own (`kiosk-fleet start`, with the simulated reference
 * fleet live so the answer holds real states). This process plays `--readers` readers, each on a
 * keep-alive connection of its own from a source address of its own (127.1.x.y: Linux routes all
 * of 127/8 to loopback), so the per-address limit (60 a minute, 30 at once) is what one reader
 * meets, not what the whole load meets. Each reader asks `GET /api/v1/public/status` again as soon
 * as the last answer has arrived in full (a closed loop, like autocannon), for `--warmup` then
 * `--duration` seconds; only the second part is counted. `--addresses-per-reader` spreads each
 * reader's requests over several addresses in turn, when the load outruns one address's limit.
 *
 *   npm run bench:public-status -- [--readers 2000] [--machines 70] [--duration 20] [--warmup 3]
 *                                  [--addresses-per-reader 1]
 *
 * Prints one JSON object: answers per second by status, latency percentiles of the 200s (ms),
 * how many distinct answers were computed (distinct `generatedAt`: the answer is computed at most
 * once per 5 s, whoever asks), and the platform's CPU seconds over the window.
 */
import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LOOPBACK_SETTINGS } from '../config/config.js';
import { startCliChild } from './cli-child.js';
import { freePort, processCpuSeconds } from './mosquitto.js';

const { values } = parseArgs({
  options: {
    readers: { type: 'string', default: '2000' },
    machines: { type: 'string', default: '70' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    'addresses-per-reader': { type: 'string', default: '1' },
  },
});
const readers = Number(values.readers);
const machines = Number(values.machines);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
/** More than one spreads a reader's requests over several addresses (connections), in turn. */
const addressesPerReader = Number(values['addresses-per-reader']);
const PATH = '/api/v1/public/status';

/** The i-th source address: 127.1.0.1 … (254 per /24, never .0 or .255; 16,000 and more fit in 127.1/16 and on). */
const sourceAddress = (i: number) => `127.${1 + Math.floor(i / 65_024)}.${Math.floor(i / 254) % 256}.${(i % 254) + 1}`;

interface Tally {
  byStatus: Map<number, number>;
  latenciesMs: number[];
  generatedAt: Set<string>;
  errors: number;
  bytes: number;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One answer, read in full; `generatedAt` taken from the first bytes (it is the answer's first key). */
function ask(port: number, agent: Agent, localAddress: string): Promise<{ status: number; bytes: number; head: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, agent, localAddress }, (res) => {
      let bytes = 0;
      let head = '';
      res.on('data', (chunk: Buffer) => {
        if (head.length < 64) head += chunk.subarray(0, 64).toString('latin1');
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, head }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(os.tmpdir(), 'bench-public-status-'));
  const port = await freePort();
  const platform = await startCliChild(
    'start',
    {
      ...LOOPBACK_SETTINGS,
      DATA_DIR: dataDir,
      PORT: String(port),
      MQTT_PORT: String(await freePort()),
      SIM_KIOSKS: String(machines),
      FLEET_ADMIN_PASSWORD: 'bench-password-123',
      PASSWORD_SCRYPT_N: '16384',
    },
    'platform running',
  );
  const startMs = performance.now();
  const measureFromMs = startMs + warmupS * 1000;
  const endMs = measureFromMs + durationS * 1000;
  const tally: Tally = { byStatus: new Map(), latenciesMs: [], generatedAt: new Set(), errors: 0, bytes: 0 };
  let cpuAtStart = Number.NaN;
  const cpuTimer = setTimeout(() => void processCpuSeconds(platform.pid).then((s) => (cpuAtStart = s)), warmupS * 1000);
  const agents: Agent[] = [];

  async function reader(i: number): Promise<void> {
    const own = Array.from({ length: addressesPerReader }, (_, k) => ({
      agent: new Agent({ keepAlive: true, maxSockets: 1 }),
      localAddress: sourceAddress(i * addressesPerReader + k),
    }));
    agents.push(...own.map((o) => o.agent));
    for (let n = 0; performance.now() < endMs; n++) {
      const { agent, localAddress } = own[n % own.length]!;
      const sentMs = performance.now();
      try {
        const { status, bytes, head } = await ask(port, agent, localAddress);
        if (sentMs < measureFromMs) continue;
        tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
        if (status !== 200) continue;
        tally.latenciesMs.push(performance.now() - sentMs);
        tally.bytes += bytes;
        const generatedAt = /"generatedAt":"([^"]+)"/.exec(head)?.[1];
        if (generatedAt) tally.generatedAt.add(generatedAt);
      } catch {
        if (sentMs >= measureFromMs) tally.errors++;
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: readers }, (_, i) => reader(i)));
    const cpuAtEnd = await processCpuSeconds(platform.pid);
    const windowS = (performance.now() - measureFromMs) / 1000;
    const sorted = tally.latenciesMs.sort((a, b) => a - b);
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    const ok = tally.byStatus.get(200) ?? 0;
    console.log(
      JSON.stringify(
        {
          settings: {
            readers,
            machines,
            durationS,
            warmupS,
            sourceAddresses: readers * addressesPerReader,
            node: process.version,
            cpus: os.cpus().length,
          },
          answersPerSecond: round(ok / windowS),
          byStatus: Object.fromEntries(tally.byStatus),
          errors: tally.errors,
          latencyMs: {
            p50: round(percentile(sorted, 0.5)),
            p90: round(percentile(sorted, 0.9)),
            p99: round(percentile(sorted, 0.99)),
            max: round(sorted.at(-1) ?? Number.NaN),
          },
          answerBytes: ok === 0 ? 0 : Math.round(tally.bytes / ok),
          distinctAnswersComputed: tally.generatedAt.size,
          windowS: round(windowS),
          platformCpuSeconds: round(cpuAtEnd - cpuAtStart, 2),
        },
        null,
        2,
      ),
    );
  } finally {
    clearTimeout(cpuTimer);
    for (const agent of agents) agent.destroy();
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
