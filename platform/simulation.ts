/**
 * The simulation stage: simulated machines (MQTT and SIP2) and the simulated online lending
 * platform, each started only when the settings ask for it. They talk to the platform as real
 * ones do: over the broker and the HTTP API, with credentials of their own.
 */
import { join } from 'node:path';
import type { TlsPem } from '../config/tls.js';
import type { Auth } from '../dashboard/auth/auth-service.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../simulator/fleet.js';
import { createLendingPlatform } from '../simulator/lending-platform.js';
import { loadCirculationProfile } from '../simulator/profile.js';
import { type Foundation, REFERENCE_DIR, REFERENCE_MACHINE_COUNT, simulationStartMs } from './foundation.js';
import { ensureSimulatedCredentials, readSimulatedCredentials } from './sim-credentials.js';
import { startSip2Simulation } from './sip2-simulation.js';
import { buildStage, type Stoppable } from './stops.js';

export interface SimulationInput {
  foundation: Foundation;
  /** SIM_KIOSKS machines over MQTT, and the lending platform that reserves on them. */
  isMqttFleet: boolean;
  /** SIM_SIP2 machines through a SIP2 bridge. */
  isSip2Fleet: boolean;
  mqttUrl: string;
  /** Issues the lending platform's integration token. */
  auth: Auth;
  dashboard: { port: number; tls: TlsPem | null };
}

export interface Simulation extends Stoppable {
  simulator: SimulatedFleet | null;
}

export function startSimulation(input: SimulationInput): Promise<Simulation> {
  const { foundation: f } = input;
  return buildStage(f.logger, async (stops) => {
    const simulator = input.isMqttFleet ? await startSimulator(f, input.mqttUrl, { provision: true }) : null;
    if (simulator) {
      stops.defer(() => simulator.stop());
      const lending = await startSimulatedLendingPlatform(f, input.auth, simulator, input.dashboard);
      stops.defer(() => lending.stop());
    }
    if (input.isSip2Fleet) {
      const sip2 = await startSip2Simulation(f, input.mqttUrl);
      stops.defer(() => sip2.stop());
    }
    return { simulator };
  });
}

/**
 * The online lending platform, simulated: it reserves through the API with an integration token of
 * role `lending`, issued afresh at every start (the previous one revoked), never written down.
 */
async function startSimulatedLendingPlatform(
  f: Foundation,
  auth: Auth,
  simulator: SimulatedFleet,
  dashboard: { port: number; tls: TlsPem | null },
) {
  const name = 'simulated lending platform';
  await auth.tokens.revokeNamed(name);
  const { secret } = await auth.tokens.issue({ name, role: 'lending', createdBy: 'system' });
  const { config } = f;
  const host =
    config.HOST === '0.0.0.0' || config.HOST === '::'
      ? '127.0.0.1'
      : config.HOST.includes(':')
        ? `[${config.HOST}]`
        : config.HOST;
  const lending = createLendingPlatform({
    // With HTTPS=on the dashboard speaks nothing else; trust its own certificate and chain.
    apiUrl: `${dashboard.tls ? 'https' : 'http'}://${host}:${dashboard.port}`,
    ...(dashboard.tls ? { trustedCertificates: dashboard.tls.cert } : {}),
    credential: () => secret,
    machines: simulator.machines,
    simNow: () => Math.max(...simulator.machines.map((m) => m.generatedUntilMs())),
    startMs: simulationStartMs(config, f.calendar, Date.now()),
    timeZone: config.FLEET_TZ,
    windowHours: config.RESERVATION_SLA_HOURS,
    stateFile: join(f.paths.simulator, 'lending-platform.json'),
    logger: f.logger.child({ component: 'simulator' }),
  });
  lending.start();
  return lending;
}

/** The simulated fleet against any broker; with `provision`, its machines are registered first. */
export async function startSimulator(f: Foundation, mqttUrl: string, options: { provision: boolean }): Promise<SimulatedFleet> {
  const { config } = f;
  const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), config.SIM_KIOSKS);
  const tokens = options.provision
    ? await ensureSimulatedCredentials(f.registry, kiosks, f.paths.simCredentials)
    : readSimulatedCredentials(f.paths.simCredentials);
  const fleet = createSimulatedFleet({
    brokerUrl: mqttUrl,
    topics: f.topics,
    kiosks,
    credentials: (id) => (tokens[id] ? { username: id, password: tokens[id] } : undefined),
    dataDir: f.paths.simulator,
    clock: { startMs: simulationStartMs(config, f.calendar, Date.now()), speed: config.SIM_SPEED },
    // Rates per machine are those of the 70-machine reference network, whatever the fleet's size.
    profile: loadCirculationProfile(
      join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
      join(REFERENCE_DIR, 'fault-catalogue.csv'),
      REFERENCE_MACHINE_COUNT,
      { silentFailuresPerMachinePerMonth: config.SIM_SILENT_FAILURES },
    ),
    timeZone: config.FLEET_TZ,
    batchSize: config.SIM_BATCH,
    telemetryIntervalMs: config.SIM_TELEMETRY_MS,
    logger: f.logger.child({ component: 'simulator' }),
  });
  await fleet.start();
  return fleet;
}
