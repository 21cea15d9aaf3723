import { join } from 'node:path';
import type { Logger } from 'pino';
import { createCalendar } from '../time/calendar.js';
import { type Config, ConfigError } from '../config/config.js';
import { loadReferenceFleet } from '../simulator/fleet.js';
import { loadCirculationProfile, loadCirculationTable } from '../simulator/profile.js';
import { runReplay, type ReplayResult } from '../simulator/replay.js';
import { type Foundation, openFoundation, REFERENCE_DIR, REFERENCE_MACHINE_COUNT } from '../platform/index.js';
import { ensureSimulatedCredentials, readSimulatedCredentials } from '../platform/sim-credentials.js';

/**
 * `kiosk-fleet replay --year 2023`: the whole year for SIM_KIOSKS machines (70 by default),
 * calibrated to the reference network, published to the running platform as fast as it acks.
 * Days after yesterday are not replayed: no event is stamped in the future.
 */
export async function replayYear(config: Config, yearFlag: string | undefined, logger: Logger): Promise<ReplayResult> {
  const year = Number(yearFlag);
  if (yearFlag === undefined || !/^\d{4}$/.test(yearFlag) || year < 2000) {
    throw new ConfigError('replay needs --year YYYY (2000 or later), e.g. --year 2023');
  }
  const today = createCalendar(config.FLEET_TZ).dayOf(Date.now());
  const fromDay = `${year}-01-01`;
  const endOfYear = `${year + 1}-01-01`;
  const toDay = endOfYear < today ? endOfYear : today;
  if (toDay <= fromDay) throw new ConfigError(`nothing to replay: ${year} has no day before today`);
  const f = await openFoundation(config, logger);
  try {
    return await replayDays(f, fromDay, toDay, year, logger);
  } finally {
    await f.registry.close();
  }
}

async function replayDays(f: Foundation, fromDay: string, toDay: string, seed: number, logger: Logger): Promise<ReplayResult> {
  const { config } = f;
  const brokerUrl = config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`;
  const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), config.SIM_KIOSKS);
  // On the embedded broker the machines are provisioned in the shared registry, as `simulator` does.
  const tokens = config.MQTT_URL
    ? readSimulatedCredentials(f.paths.simCredentials)
    : await ensureSimulatedCredentials(f.registry, kiosks, f.paths.simCredentials);
  const log = logger.child({ component: 'replay' });
  log.info({ brokerUrl, machines: kiosks.length, fromDay, until: toDay }, 'replay starting');
  return runReplay({
    brokerUrl,
    topics: f.topics,
    kiosks,
    credentials: (id) => (tokens[id] ? { username: id, password: tokens[id] } : undefined),
    profile: loadCirculationProfile(
      join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
      join(REFERENCE_DIR, 'fault-catalogue.csv'),
      REFERENCE_MACHINE_COUNT,
      {
        timeZone: config.FLEET_TZ,
      },
    ),
    fromDay,
    toDay,
    seed,
    outboxFile: join(f.paths.simulator, `replay-${fromDay}-${toDay}-s${seed}.sqlite`),
    logger: log,
    onProgress: (p) =>
      log.info(
        {
          acked: p.acked,
          generated: p.generated,
          machinesDone: `${p.machinesDone}/${p.machines}`,
          eventsPerSecond: Math.round(p.acked / Math.max(1, p.elapsedMs / 1000)),
        },
        'replaying',
      ),
  });
}

/** The summary printed once the platform has acked everything: the rate, and each month against the reference network's. */
export function formatReplaySummary(result: ReplayResult): string {
  const reference = new Map(
    loadCirculationTable(join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv')).map((r) => [r.month.slice(5), r]),
  );
  const lines = [
    `${result.machines} machines: ${result.acked.toLocaleString('en-US')} events acked by the platform (${result.rejected} rejected)` +
      ` in ${(result.elapsedMs / 1000).toFixed(1)} s, ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s`,
    '',
    `month      loans  returns    total  reference × ${result.machines}/${REFERENCE_MACHINE_COUNT}  difference`,
  ];
  for (const [month, tally] of [...result.generatedByMonth].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const ref = reference.get(month.slice(5));
    const total = tally.loans + tally.returns;
    // Rates are per machine of the 70-machine reference network: N machines see N/70 of its volume.
    const expected = ref === undefined ? undefined : ((ref.loans + ref.returns) * result.machines) / REFERENCE_MACHINE_COUNT;
    const difference = expected === undefined ? '' : `${((total / expected - 1) * 100).toFixed(1)} %`;
    lines.push(
      `${month}  ${String(tally.loans).padStart(7)}  ${String(tally.returns).padStart(7)}  ${String(total).padStart(7)}  ${String(Math.round(expected ?? 0)).padStart(17)}  ${difference.padStart(10)}`,
    );
  }
  lines.push('', "The managers' table: GET /api/v1/reports/circulation?from=YYYY-01&to=YYYY-12 (format=csv|xlsx, lang=zh|en)");
  return lines.join('\n');
}
