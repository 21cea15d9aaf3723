import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { type RunningCollector, startCollector } from '../collector/collector.js';
import { type Calendar, createCalendar } from '../collector/domain/calendar.js';
import { fleetHealthMeasures } from '../collector/health/indicator-measures.js';
import { lastActivityMs } from '../collector/health/platform-watch.js';
import { type RunningFleetHealth, startFleetHealth } from '../collector/health/start-fleet-health.js';
import type { NotificationDispatcher } from '../collector/notify/dispatcher.js';
import { loadNotifyConfig } from '../collector/notify/notify-config.js';
import { startNotifications } from '../collector/notify/start-notifications.js';
import { servicePromiseMeasures } from '../collector/promises/indicator-measures.js';
import { type ServicePromises, startServicePromises } from '../collector/promises/service-promises.js';
import type { EventStore } from '../collector/store/event-store.js';
import { checkInfluxAccess } from '../collector/store/influx-access-check.js';
import { createInfluxEventStore, type InfluxConnection } from '../collector/store/influx-event-store.js';
import { createPlatformMetrics } from '../collector/metrics.js';
import { openSpool } from '../collector/store/spool.js';
import { createSqliteEventStore } from '../collector/store/sqlite-event-store.js';
import type { Config } from '../config/config.js';
import { loadOrCreateSecrets, type Secrets } from '../config/secrets.js';
import type { ComponentHealth, DashboardContext } from '../dashboard/context.js';
import { openExportLog } from '../dashboard/exports/export-log.js';
import { type RunningDashboard, startDashboard } from '../dashboard/server.js';
import { createTopics, type Topics } from '../protocol/index.js';
import { openKioskRegistry, type KioskRegistry } from '../registry/kiosk-registry.js';
import { isTokenValid, hashToken } from '../registry/tokens.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../simulator/fleet.js';
import { createLendingPlatform } from '../simulator/lending-platform.js';
import { loadCirculationProfile } from '../simulator/profile.js';
import { ensureSimulatedCredentials, readSimulatedCredentials } from './sim-credentials.js';

/** The reference fleet, circulation and fault catalogue (copied beside the build by `npm run build`). */
export const REFERENCE_DIR = fileURLToPath(new URL('../reference/', import.meta.url));

/** Machines in operation in the reference network's circulation table (DOMAIN.md). */
export const REFERENCE_MACHINE_COUNT = 70;

export interface Foundation {
  config: Config;
  logger: Logger;
  topics: Topics;
  calendar: Calendar;
  secrets: Secrets;
  registry: KioskRegistry;
  paths: { registry: string; events: string; simulator: string; simCredentials: string };
}

/** What every command shares: settings, the data directory's secrets and the registry. */
export function openFoundation(config: Config, logger: Logger): Foundation {
  const dataDir = config.DATA_DIR;
  const paths = {
    registry: join(dataDir, 'registry.sqlite'),
    events: join(dataDir, 'events.sqlite'),
    simulator: join(dataDir, 'simulator'),
    simCredentials: join(dataDir, 'simulator', 'credentials.json'),
  };
  const secrets = loadOrCreateSecrets(dataDir);
  return {
    config,
    logger,
    topics: createTopics(config.TOPIC_ROOT),
    calendar: createCalendar(config.FLEET_TZ),
    secrets,
    registry: openKioskRegistry(paths.registry),
    paths,
  };
}

export async function startEmbeddedBroker(
  f: Foundation,
  onRejected?: Parameters<typeof startBroker>[0]['onRejected'],
): Promise<RunningBroker> {
  const serviceHash = hashToken(f.secrets.serviceToken);
  return startBroker({
    topics: f.topics,
    host: f.config.HOST,
    port: f.config.MQTT_PORT,
    wsPort: f.config.MQTT_WS_PORT,
    maxPacketBytes: f.config.MAX_PACKET_BYTES,
    verifyKioskToken: (id, token) => f.registry.verifyToken(id, token),
    verifyServiceToken: (_username, token) => isTokenValid(token, serviceHash),
    ...(onRejected ? { onRejected } : {}),
    logger: f.logger,
  });
}

export interface RunningPlatform {
  broker: RunningBroker | null;
  collector: RunningCollector;
  dashboard: RunningDashboard;
  simulator: SimulatedFleet | null;
  store: EventStore;
  promises: ServicePromises;
  fleetHealth: RunningFleetHealth;
  notifications: NotificationDispatcher | null;
  foundation: Foundation;
  mqttUrl: string;
  stop(): Promise<void>;
}

export interface PlatformParts {
  broker: boolean;
  simulator: boolean;
}

/**
 * Starts the parts in dependency order (store, broker, collector, dashboard, simulator) and
 * stops them in reverse, so what is buffered is flushed before what it flows into closes.
 */
export async function startPlatform(
  config: Config,
  logger: Logger,
  parts: PlatformParts = { broker: !config.MQTT_URL, simulator: config.SIM_KIOSKS > 0 },
): Promise<RunningPlatform> {
  // InfluxDB is checked before anything starts, so a wrong setting stops the start with one line.
  const influx = influxConnectionOf(config);
  if (influx) await checkInfluxAccess({ ...influx, timeZone: config.FLEET_TZ });
  // A bad notification settings file stops the start before anything runs.
  const notifyConfig = config.NOTIFY_CONFIG ? loadNotifyConfig(config.NOTIFY_CONFIG) : null;
  const f = openFoundation(config, logger);
  const stops: (() => Promise<void> | void)[] = [() => f.registry.close()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
  };
  try {
    const store = influx
      ? createInfluxEventStore({
          ...influx,
          timeZone: config.FLEET_TZ,
          districtOf: (kioskId) => f.registry.get(kioskId)?.district,
          logger: logger.child({ component: 'store' }),
        })
      : createSqliteEventStore({ file: f.paths.events, timeZone: config.FLEET_TZ, synchronous: config.SQLITE_SYNCHRONOUS });
    stops.push(() => store.close());
    // Closed after the collector (stops run in reverse): what it spooled stays for the next start.
    const spool =
      config.SPOOL_MAX_BYTES > 0
        ? openSpool({ file: join(config.DATA_DIR, 'spool.sqlite'), maxBytes: config.SPOOL_MAX_BYTES })
        : null;
    if (spool) stops.push(() => spool.close());

    let collector: RunningCollector | null = null;
    const broker = parts.broker
      ? await startEmbeddedBroker(f, (r) =>
          collector?.ingest.reject({
            receivedMs: Date.now(),
            topic: r.topic ?? '',
            ...(r.clientId ? { kioskId: r.clientId } : {}),
            reason: r.reason,
            detail: r.detail,
            payloadExcerpt: '',
          }),
        )
      : null;
    if (broker) stops.push(() => broker.stop());

    const mqttUrl = config.MQTT_URL ?? `mqtt://127.0.0.1:${broker?.port ?? config.MQTT_PORT}`;
    const isEmbedded = broker !== null || !config.MQTT_URL;
    // Read before the collector subscribes: what it receives on start must not hide the gap.
    const downSinceMs = await lastActivityMs(store);
    collector = await startCollector({
      mqttUrl,
      topics: f.topics,
      store,
      calendar: f.calendar,
      logger,
      limits: { maxPayloadBytes: config.MAX_PACKET_BYTES, maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS },
      knownKioskIds: f.registry.list().map((k) => k.id),
      spool,
      ...(isEmbedded
        ? { username: 'collector', password: f.secrets.serviceToken }
        : {
            ...(config.MQTT_USERNAME ? { username: config.MQTT_USERNAME } : {}),
            ...(config.MQTT_PASSWORD ? { password: config.MQTT_PASSWORD } : {}),
          }),
    });
    const runningCollector = collector;
    stops.push(() => runningCollector.stop());

    const promises = await startServicePromises({
      store,
      ingest: collector.ingest,
      calendar: f.calendar,
      topics: f.topics,
      listKiosks: () => f.registry.list(),
      policy: { windowMs: config.RESERVATION_SLA_HOURS * 3_600_000, atRiskRatio: config.RESERVATION_AT_RISK_RATIO },
      maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
      logger,
    });
    stops.push(() => promises.stop());

    const fleetHealth = await startFleetHealth({
      store,
      collector,
      registry: f.registry,
      calendar: f.calendar,
      policy: { promiseMs: config.RESPONSE_PROMISE_HOURS * 3_600_000, stepsPercent: config.ESCALATION_STEPS },
      offlineAfterMs: config.OFFLINE_AFTER_MS,
      downSinceMs,
      logger,
    });
    stops.push(() => fleetHealth.stop());
    const notifications = notifyConfig
      ? startNotifications({
          config: notifyConfig,
          health: fleetHealth.health,
          kioskInfo: (id) => {
            const kiosk = f.registry.get(id);
            return kiosk ? { name: kiosk.name, district: kiosk.district } : undefined;
          },
          timeZone: config.FLEET_TZ,
          logger,
        })
      : null;
    if (notifications) stops.push(() => notifications.stop());

    const brokerHealth = (): ComponentHealth & { connectedKiosks?: number } => {
      if (!broker) return { state: 'external', detail: `external broker ${config.MQTT_URL ?? mqttUrl}` };
      const stats = broker.stats();
      return { state: 'ok', detail: `${stats.connectedKiosks} machines connected`, connectedKiosks: stats.connectedKiosks };
    };
    const metrics = createPlatformMetrics({ ingest: collector.ingest, broker: broker ? () => broker.stats() : null, spool });
    stops.push(() => metrics.stop());
    const exportLog = openExportLog(join(config.DATA_DIR, 'reports.sqlite'));
    stops.push(() => exportLog.close());
    const ctx: DashboardContext = {
      registry: f.registry,
      store,
      collector,
      topics: f.topics,
      adminTokenHash: hashToken(f.secrets.adminToken),
      brokerHealth,
      mqttEndpoint: config.MQTT_URL ?? `mqtt://<this host>:${broker?.port ?? config.MQTT_PORT}`,
      logger: logger.child({ component: 'dashboard' }),
      now: Date.now,
      inspections: promises.inspections,
      reservations: promises.reservations,
      exportLog,
      fleetHealth,
      ...(notifications ? { notifications } : {}),
      ...(spool ? { spool } : {}),
      metrics,
      serviceMeasures: {
        ...fleetHealthMeasures(fleetHealth.health, Date.now),
        ...servicePromiseMeasures(promises.inspections, promises.reservations),
      },
    };
    const dashboard = await startDashboard(ctx, { port: config.PORT, host: config.HOST });
    stops.push(() => dashboard.stop());

    const simulator = parts.simulator ? await startSimulator(f, mqttUrl, { provision: true }) : null;
    if (simulator) stops.push(() => simulator.stop());
    if (simulator) {
      const lending = startSimulatedLendingPlatform(f, simulator, dashboard.port);
      stops.push(() => lending.stop());
    }

    return {
      broker,
      collector,
      dashboard,
      simulator,
      store,
      promises,
      fleetHealth,
      notifications,
      foundation: f,
      mqttUrl,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The InfluxDB the settings select, if any: the configuration check makes the four go together. */
function influxConnectionOf(config: Config): InfluxConnection | undefined {
  const { INFLUX_URL: url, INFLUX_TOKEN: token, INFLUX_ORG: org, INFLUX_BUCKET: bucket } = config;
  return url && token && org && bucket ? { url, token, org, bucket } : undefined;
}

/** The online lending platform, simulated: it reserves through the API (admin token until accounts exist). */
function startSimulatedLendingPlatform(f: Foundation, simulator: SimulatedFleet, dashboardPort: number) {
  const { config } = f;
  const host =
    config.HOST === '0.0.0.0' || config.HOST === '::'
      ? '127.0.0.1'
      : config.HOST.includes(':')
        ? `[${config.HOST}]`
        : config.HOST;
  const lending = createLendingPlatform({
    apiUrl: `http://${host}:${dashboardPort}`,
    credential: () => f.secrets.adminToken,
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

/** Where simulated time starts: SIM_START, or the start of today in the fleet's time zone. */
export function simulationStartMs(config: Config, calendar: Calendar, nowMs: number): number {
  if (!config.SIM_START) return calendar.startOfDay(calendar.dayOf(nowMs));
  if (/^\d{4}-\d{2}-\d{2}$/.test(config.SIM_START)) return calendar.startOfDay(config.SIM_START);
  return Date.parse(config.SIM_START);
}

/** The simulated fleet against any broker; with `provision`, its machines are registered first. */
export async function startSimulator(f: Foundation, mqttUrl: string, options: { provision: boolean }): Promise<SimulatedFleet> {
  const { config } = f;
  const kiosks = loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), config.SIM_KIOSKS);
  const tokens = options.provision
    ? ensureSimulatedCredentials(f.registry, kiosks, f.paths.simCredentials)
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
    ),
    timeZone: config.FLEET_TZ,
    batchSize: config.SIM_BATCH,
    telemetryIntervalMs: config.SIM_TELEMETRY_MS,
    logger: f.logger.child({ component: 'simulator' }),
  });
  await fleet.start();
  return fleet;
}
