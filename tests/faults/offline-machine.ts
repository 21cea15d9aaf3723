/**
 * A simulated fleet with no reachable broker, run as its own process by the offline test so that
 * it can be killed: it generates into its on-disk outbox and prints its progress as JSON lines.
 * Settings: DATA_DIR, SIM_KIOSKS, SIM_START_MS, SIM_SPEED, BUSYNESS, BROKER_URL.
 */
import { join } from 'node:path';
import { createLogger } from '../../cli/logger.js';
import { REFERENCE_DIR } from '../../platform/index.js';
import { readSimulatedCredentials } from '../../platform/sim-credentials.js';
import { createTopics } from '../../protocol/index.js';
import { createSimulatedFleet, loadReferenceFleet } from '../../simulator/fleet.js';
import { busyProfile } from './offline-machine-profile.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const dataDir = env('DATA_DIR');
const tokens = readSimulatedCredentials(join(dataDir, 'simulator', 'credentials.json'));
const fleet = createSimulatedFleet({
  brokerUrl: env('BROKER_URL'),
  topics: createTopics('kiosks'),
  kiosks: loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), Number(env('SIM_KIOSKS'))),
  credentials: (id) => (tokens[id] ? { username: id, password: tokens[id] } : undefined),
  dataDir: join(dataDir, 'simulator'),
  clock: { startMs: Number(env('SIM_START_MS')), speed: Number(env('SIM_SPEED')) },
  profile: busyProfile(Number(env('BUSYNESS'))),
  tickMs: 100,
  reconnectPeriodMs: 60_000,
  logger: createLogger('silent'),
});
await fleet.start();
setInterval(() => {
  const generatedUntilMs = Math.min(...fleet.machines.map((m) => m.generatedUntilMs()));
  console.log(JSON.stringify({ generatedUntilMs, pending: fleet.pendingCount() }));
}, 100);
