import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSip2Bridge } from '../sip2/bridge/bridge.js';
import { parseMapping } from '../sip2/bridge/mapping.js';
import { startSimulatedAcs } from '../sip2/sim/acs-server.js';
import { createSimulatedSip2Fleet } from '../sip2/sim/sip2-fleet.js';
import { kioskRecordSchema, type KioskRecord } from '../registry/kiosk.js';
import { loadReferenceFleet } from '../simulator/fleet.js';
import { loadCirculationProfile } from '../simulator/profile.js';
import { REFERENCE_DIR, REFERENCE_MACHINE_COUNT, simulationStartMs, type Foundation } from './foundation.js';
import { ensureSimulatedCredentials } from './sim-credentials.js';

/**
 * `SIM_SIP2=N`: N machines that speak only SIP2, to a simulated library system, through a SIP2
 * bridge that reports them to the platform as a real deployment would: the bridge has its own
 * mapping file and outbox, and speaks MQTT with each machine's own token.
 */
export async function startSip2Simulation(f: Foundation, mqttUrl: string): Promise<{ stop(): Promise<void> }> {
  const { config } = f;
  const kiosks = sip2Kiosks(config.SIM_SIP2);
  const dir = join(f.paths.simulator, 'sip2');
  mkdirSync(dir, { recursive: true });
  const tokens = await ensureSimulatedCredentials(f.registry, kiosks, join(dir, 'credentials.json'));
  const mapFile = join(dir, 'sip2-map.csv');
  const csv = [
    'kiosk_id,token,login_user_id,location_code,address',
    ...kiosks.map((k) => `${k.id},${tokens[k.id]},${k.id},,`),
  ].join('\n');
  writeFileSync(mapFile, `${csv}\n`, { mode: 0o600 });
  chmodSync(mapFile, 0o600);
  const logger = f.logger.child({ component: 'sip2-simulation' });
  const acs = await startSimulatedAcs({
    isOnline: true,
    isCheckinOk: true,
    isCheckoutOk: true,
    institution: 'SIMLIB',
    // About one checkout in fifty is refused, for a reason the machine page can show.
    refusalOf: (item, operation) =>
      operation === 'loan' && item.endsWith('7') && Number(item.slice(-3, -1)) % 5 === 0
        ? 'Item on hold for another patron'
        : undefined,
  });
  const bridge = await startSip2Bridge({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: acs.port },
    mapping: parseMapping(csv, mapFile),
    brokerUrl: mqttUrl,
    topics: f.topics,
    dataDir: join(dir, 'bridge'),
    timeZone: config.FLEET_TZ,
    offlineAfterMs: config.OFFLINE_AFTER_MS,
    logger,
  });
  const fleet = createSimulatedSip2Fleet({
    kiosks,
    bridge: { host: '127.0.0.1', port: bridge.port },
    profile: loadCirculationProfile(
      join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
      join(REFERENCE_DIR, 'fault-catalogue.csv'),
      REFERENCE_MACHINE_COUNT,
    ),
    clock: { startMs: simulationStartMs(config, f.calendar, Date.now()), speed: config.SIM_SPEED },
    timeZone: config.FLEET_TZ,
    seed: 2026,
    logger,
  });
  await fleet.start();
  return {
    async stop() {
      await fleet.stop();
      await bridge.stop();
      await acs.stop();
    },
  };
}

/** Placed like the synthetic machines beyond the reference fleet, with ids of their own (`S2-0001`…). */
function sip2Kiosks(count: number): KioskRecord[] {
  const placed = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), REFERENCE_MACHINE_COUNT + count).slice(
    REFERENCE_MACHINE_COUNT,
  );
  return placed.map((kiosk, i) =>
    kioskRecordSchema.parse({
      ...kiosk,
      id: `S2-${String(i + 1).padStart(4, '0')}`,
      name: `${kiosk.district}SIP2 自助图书馆 ${i + 1}`,
      nameEn: `SIP2 self-service library ${i + 1} (through the bridge)`,
      model: 'SIP2 machine',
    }),
  );
}
