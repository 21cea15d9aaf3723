// This file is long because it is the composition root of the whole platform; building it in
// stages (storage, messaging, services, web, simulation) is planned work.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { type RunningCollector, startCollector } from '../collector/collector.js';
import { fleetHealthMeasures } from '../collector/health/indicator-measures.js';
import { lastActivityMs } from '../collector/health/platform-watch.js';
import { type RunningFleetHealth, startFleetHealth } from '../collector/health/start-fleet-health.js';
import type { NotificationDispatcher } from '../collector/notify/dispatcher.js';
import { loadNotifyConfig } from '../collector/notify/notify-config.js';
import { startPlatformNotifier } from '../collector/notify/platform-notifier.js';
import { startNotifications } from '../collector/notify/start-notifications.js';
import { openSqliteNotificationOutbox } from '../collector/notify/sqlite-notification-outbox.js';
import type { Scheduler } from '../collector/notify/scheduler.js';
import { servicePromiseMeasures } from '../collector/promises/indicator-measures.js';
import { type ServicePromises, startServicePromises } from '../collector/promises/service-promises.js';
import type { EventStore } from '../collector/store/event-store.js';
import { checkInfluxAccess } from '../collector/store/influx-access-check.js';
import { createInfluxEventStore, type InfluxConnection } from '../collector/store/influx-event-store.js';
import { createPlatformMetrics } from '../collector/metrics.js';
import { openPostgresEventStore } from '../collector/store/postgres-event-store.js';
import type { RetentionPolicy } from '../collector/domain/retention-policy.js';
import { startRetention } from '../collector/retention.js';
import { openSpool } from '../collector/store/spool.js';
import { createSqliteEventStore, type SqliteEventStore } from '../collector/store/sqlite-event-store.js';
import type { Config } from '../config/config.js';
import { loadTlsPem, type TlsPem } from '../config/tls.js';
import { type Auth, ensureFirstAdmin, openAuth } from '../dashboard/auth/auth-service.js';
import { openPostgresAuditLog } from '../dashboard/auth/postgres-audit-log.js';
import { signInHealth } from '../dashboard/auth/sign-in-health.js';
import type { ComponentHealth, DashboardContext } from '../dashboard/context.js';
import type { ExportLog } from '../dashboard/exports/export-log.js';
import { openPostgresExportLog } from '../dashboard/exports/postgres-export-log.js';
import { openSqliteExportLog } from '../dashboard/exports/sqlite-export-log.js';
import { openSqliteIndicatorTargets } from '../dashboard/reports/sqlite-indicator-targets.js';
import { platformComponents } from '../dashboard/platform-health.js';
import { type RunningDashboard, startDashboard } from '../dashboard/server.js';
import { startBackupSchedule } from '../datadir/backup-schedule.js';
import { holdDataDir } from '../datadir/run-lock.js';
import { isTokenValid, hashToken } from '../registry/tokens.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../simulator/fleet.js';
import { createLendingPlatform } from '../simulator/lending-platform.js';
import { loadCirculationProfile } from '../simulator/profile.js';
import { ensureSimulatedCredentials, readSimulatedCredentials } from './sim-credentials.js';
import { startSip2Simulation } from './sip2-simulation.js';

import { openFoundation, REFERENCE_DIR, REFERENCE_MACHINE_COUNT, simulationStartMs, type Foundation } from './foundation.js';

export { openFoundation, REFERENCE_DIR, REFERENCE_MACHINE_COUNT, simulationStartMs, type Foundation } from './foundation.js';

export async function startEmbeddedBroker(
  f: Foundation,
  onRejected?: Parameters<typeof startBroker>[0]['onRejected'],
): Promise<RunningBroker> {
  const serviceHash = hashToken(f.secrets.serviceToken);
  const { config } = f;
  const pem = config.MQTTS_PORT !== null || config.MQTT_WSS_PORT !== null ? loadTlsPem(config) : null;
  return startBroker({
    topics: f.topics,
    host: config.HOST,
    port: config.MQTT_PORT,
    wsPort: config.MQTT_WS_PORT,
    ...(pem ? { tls: { ...pem, port: config.MQTTS_PORT, wsPort: config.MQTT_WSS_PORT } } : {}),
    maxPacketBytes: config.MAX_PACKET_BYTES,
    connectTimeoutMs: config.CONNECT_TIMEOUT_MS,
    maxConnections: config.MAX_CONNECTIONS,
    connectRatePerAddress: config.CONNECT_RATE_PER_ADDRESS,
    connectBurstPerAddress: config.CONNECT_BURST_PER_ADDRESS,
    publishRatePerKiosk: config.PUBLISH_RATE_PER_KIOSK,
    publishBurstPerKiosk: config.PUBLISH_BURST_PER_KIOSK,
    offlineQueueMaxMessages: config.OFFLINE_QUEUE_MAX_MESSAGES,
    // A rotated or revoked machine is disconnected: at once when this process changed its token,
    // within the registry's poll (250 ms) when another process sharing DATA_DIR did.
    watchCredentials: (listener) => f.registry.onCredentialsChanged(listener),
    verifyKioskToken: (id, token) => f.registry.verifyToken(id, token),
    verifyServiceToken: (_username, token) => isTokenValid(token, serviceHash),
    ...(onRejected ? { onRejected } : {}),
    logger: f.logger,
  });
}

/** Refusals by the broker's connection gate, before a byte of MQTT was read. */
const isConnectionRefusal = (reason: string) => reason === 'too_many_connections' || reason === 'connect_rate_exceeded';

export interface RunningPlatform {
  broker: RunningBroker | null;
  collector: RunningCollector;
  dashboard: RunningDashboard;
  simulator: SimulatedFleet | null;
  store: EventStore;
  promises: ServicePromises;
  fleetHealth: RunningFleetHealth;
  notifications: NotificationDispatcher | null;
  /** People, sessions, integration tokens, audit log (`DATA_DIR/users.sqlite`). */
  auth: Auth;
  foundation: Foundation;
  mqttUrl: string;
  stop(): Promise<void>;
}

export interface PlatformParts {
  broker: boolean;
  simulator: boolean;
  /** SIM_SIP2 machines through a SIP2 bridge (default off when parts are given). */
  sip2Simulator?: boolean;
}

/**
 * Starts the parts in dependency order (store, broker, collector, dashboard, simulator) and
 * stops them in reverse, so what is buffered is flushed before what it flows into closes.
 */
export async function startPlatform(
  config: Config,
  logger: Logger,
  parts: PlatformParts = { broker: !config.MQTT_URL, simulator: config.SIM_KIOSKS > 0, sip2Simulator: config.SIM_SIP2 > 0 },
  /** The dashboard's clock (sessions expire by it): tests move it. */
  now: () => number = Date.now,
  /** The notifiers' clock (pacing, retries, expiry): tests move it through minutes. */
  notifyScheduler?: Scheduler,
): Promise<RunningPlatform> {
  // InfluxDB is checked before anything starts, so a wrong setting stops the start with one line.
  const influx = influxConnectionOf(config);
  if (influx) await checkInfluxAccess({ ...influx, timeZone: config.FLEET_TZ });
  // A bad notification settings file stops the start before anything runs.
  const notifyConfig = config.NOTIFY_CONFIG ? loadNotifyConfig(config.NOTIFY_CONFIG) : null;
  const f = openFoundation(config, logger);
  // Released last: `restore` refuses the directory while anything of the platform may still write.
  const hold = holdDataDir(config.DATA_DIR, 'platform');
  const stops: (() => Promise<void> | void)[] = [() => hold.release(), () => f.registry.close()];
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
    const { store, sqlite: sqliteStore } = await openEventStore(f, influx);
    stops.push(() => store.close());
    // InfluxDB keeps its bucket's own retention, PostgreSQL its operators'; the SQLite store keeps its
    // disk bounded here.
    if (sqliteStore) {
      const retention = startRetention({ store: sqliteStore, policy: retentionPolicyOf(config), logger });
      stops.push(() => retention.stop());
    }
    // Closed after the collector (stops run in reverse): what it spooled stays for the next start.
    const spool =
      config.SPOOL_MAX_BYTES > 0
        ? openSpool({ file: join(config.DATA_DIR, 'spool.sqlite'), maxBytes: config.SPOOL_MAX_BYTES })
        : null;
    if (spool) stops.push(() => spool.close());

    let collector: RunningCollector | null = null;
    const broker = parts.broker
      ? await startEmbeddedBroker(f, (r) =>
          // Refused connections are only counted: a connection flood must not become a write flood.
          isConnectionRefusal(r.reason)
            ? undefined
            : collector?.ingest.reject({
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
      topics: f.topics,
      store,
      calendar: f.calendar,
      logger,
      limits: { maxPayloadBytes: config.MAX_PACKET_BYTES, maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS },
      knownKioskIds: f.registry.list().map((k) => k.id),
      spool,
      offlineHoldMs: config.LAST_WILL_HOLD_MS,
      // With the broker in this process, the collector subscribes to it directly (no loopback MQTT).
      ...(broker
        ? { localBroker: broker.aedes }
        : isEmbedded
          ? { mqttUrl, username: 'collector', password: f.secrets.serviceToken }
          : {
              mqttUrl,
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
      notLendingProbability: config.NOT_LENDING_PROBABILITY,
      downSinceMs,
      logger,
    });
    stops.push(() => fleetHealth.stop());
    // The outbox outlives the dispatcher (stops run in reverse): what was not sent stays for the next start.
    const outbox = notifyConfig ? openSqliteNotificationOutbox({ file: join(config.DATA_DIR, 'notifications.sqlite') }) : null;
    if (outbox) stops.push(() => outbox.close());
    const notifications =
      notifyConfig && outbox
        ? startNotifications({
            config: notifyConfig,
            health: fleetHealth.health,
            outbox,
            publicUrl: config.PUBLIC_URL ?? null,
            kioskInfo: (id) => {
              const kiosk = f.registry.get(id);
              return kiosk ? { name: kiosk.name, district: kiosk.district } : undefined;
            },
            timeZone: config.FLEET_TZ,
            logger,
            ...(notifyScheduler ? { scheduler: notifyScheduler } : {}),
          })
        : null;
    if (notifications) stops.push(() => notifications.stop());

    const brokerHealth = (): ComponentHealth & { connectedKiosks?: number; offlineQueueDropped?: number } => {
      if (!broker) return { state: 'external', detail: `external broker ${config.MQTT_URL ?? mqttUrl}` };
      const stats = broker.stats();
      const figures = { connectedKiosks: stats.connectedKiosks, offlineQueueDropped: stats.offlineQueue.dropped };
      // Like the spool's refusals: dropped messages are resent by the machines, but someone should look.
      if (stats.offlineQueue.dropped > 0)
        return {
          state: 'degraded',
          detail: `${stats.connectedKiosks} machines connected; ${stats.offlineQueue.dropped} messages dropped from full queues of offline sessions (OFFLINE_QUEUE_MAX_MESSAGES)`,
          ...figures,
        };
      return { state: 'ok', detail: `${stats.connectedKiosks} machines connected`, ...figures };
    };
    const metrics = createPlatformMetrics({
      ingest: collector.ingest,
      broker: broker ? () => broker.stats() : null,
      spool,
      notifications: notifications ? () => notifications.health() : null,
    });
    stops.push(() => metrics.stop());
    const exportLog = await openExportLog(f);
    stops.push(() => exportLog.close());
    // Beside the export log in reports.sqlite; kept in the data directory even with DATABASE_URL (one node's).
    const indicatorTargets = openSqliteIndicatorTargets(join(config.DATA_DIR, 'reports.sqlite'));
    stops.push(() => indicatorTargets.close());
    // With DATABASE_URL the audit log is shared by every node; people and sessions stay in users.sqlite for now.
    const auditLog = config.DATABASE_URL
      ? await openPostgresAuditLog({ url: config.DATABASE_URL, logger: logger.child({ component: 'audit-log' }) })
      : null;
    if (auditLog) stops.push(() => auditLog.close());
    const auth = openAuth({
      file: join(config.DATA_DIR, 'users.sqlite'),
      ...(auditLog ? { audit: auditLog } : {}),
      now,
      sessions: { idleMs: config.SESSION_IDLE_MINUTES * 60_000, absoluteMs: config.SESSION_MAX_HOURS * 3_600_000 },
      scrypt: { N: config.PASSWORD_SCRYPT_N, r: 8, p: 1 },
    });
    stops.push(() => auth.close());
    const firstAdmin = await ensureFirstAdmin(auth, config.FLEET_ADMIN_PASSWORD);
    if (firstAdmin?.oneTimePassword) {
      logger.warn(
        { username: 'admin', oneTimePassword: firstAdmin.oneTimePassword },
        'FIRST START: sign in as admin with this one-time password and choose a new one; it is shown only now',
      );
    }
    const ctx: DashboardContext = {
      registry: f.registry,
      store,
      collector,
      topics: f.topics,
      auth,
      brokerHealth,
      mqttEndpoint: config.MQTT_URL ?? `mqtt://<this host>:${broker?.port ?? config.MQTT_PORT}`,
      logger: logger.child({ component: 'dashboard' }),
      now,
      inspections: promises.inspections,
      reservations: promises.reservations,
      exportLog,
      indicatorTargets,
      fleetHealth,
      ...(notifications ? { notifications } : {}),
      ...(spool ? { spool } : {}),
      metrics,
      serviceMeasures: {
        ...fleetHealthMeasures(fleetHealth.health, Date.now),
        ...servicePromiseMeasures(promises.inspections, promises.reservations),
      },
    };
    if (notifications && notifyConfig) {
      const { sampleIntervalMs, ...policy } = notifyConfig.platform;
      const platformNotifier = startPlatformNotifier({
        sample: () => {
          // The spool's and the broker's health stay degraded once they dropped anything (counted since
          // start); drops are told through their counters instead, the spool's backlog through the store's.
          const { spool: _spool, broker: _broker, ...components } = platformComponents(ctx);
          const offlineQueue = broker?.stats().offlineQueue.dropped ?? 0;
          return {
            components: { ...components, 'sign-in': signInHealth(auth) },
            drops: {
              spool: runningCollector.ingest.stats().spoolDropped,
              offlineQueue,
              idConflict: runningCollector.ingest.stats().idConflicts,
            },
          };
        },
        policy,
        sampleIntervalMs,
        listeners: [(notices) => notifications.acceptPlatform(notices)],
        logger,
      });
      stops.push(() => platformNotifier.stop());
    }
    const tls = config.HTTPS === 'on' ? loadTlsPem(config) : null;
    const dashboard = await startDashboard(ctx, { port: config.PORT, host: config.HOST, ...(tls ? { tls } : {}) });
    stops.push(() => dashboard.stop());

    if (config.BACKUP_DIR) {
      const backups = startBackupSchedule({
        dataDir: config.DATA_DIR,
        backupDir: config.BACKUP_DIR,
        everyMs: config.BACKUP_EVERY,
        keep: config.BACKUP_KEEP,
        logger,
      });
      stops.push(() => backups.stop());
    }

    const simulator = parts.simulator ? await startSimulator(f, mqttUrl, { provision: true }) : null;
    if (simulator) stops.push(() => simulator.stop());
    if (simulator) {
      const lending = startSimulatedLendingPlatform(f, auth, simulator, { port: dashboard.port, tls });
      stops.push(() => lending.stop());
    }

    if (parts.sip2Simulator) {
      const sip2 = await startSip2Simulation(f, mqttUrl);
      stops.push(() => sip2.stop());
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
      auth,
      foundation: f,
      mqttUrl,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The event history the settings select: InfluxDB, PostgreSQL (DATABASE_URL), or the SQLite file by default. */
async function openEventStore(
  f: Foundation,
  influx: InfluxConnection | undefined,
): Promise<{ store: EventStore; sqlite: SqliteEventStore | null }> {
  const { config } = f;
  const logger = f.logger.child({ component: 'store' });
  if (influx) {
    const store = createInfluxEventStore({
      ...influx,
      timeZone: config.FLEET_TZ,
      districtOf: (kioskId) => f.registry.get(kioskId)?.district,
      logger,
    });
    return { store, sqlite: null };
  }
  if (config.DATABASE_URL) {
    return { store: await openPostgresEventStore({ url: config.DATABASE_URL, timeZone: config.FLEET_TZ, logger }), sqlite: null };
  }
  const sqlite = createSqliteEventStore({
    file: f.paths.events,
    timeZone: config.FLEET_TZ,
    synchronous: config.SQLITE_SYNCHRONOUS,
  });
  return { store: sqlite, sqlite };
}

/** What reports were handed out: in PostgreSQL with DATABASE_URL, shared by every node; else `DATA_DIR/reports.sqlite`. */
async function openExportLog(f: Foundation): Promise<ExportLog> {
  const { config } = f;
  if (config.DATABASE_URL) {
    return openPostgresExportLog({ url: config.DATABASE_URL, logger: f.logger.child({ component: 'export-log' }) });
  }
  return openSqliteExportLog(join(config.DATA_DIR, 'reports.sqlite'));
}

export function retentionPolicyOf(config: Config): RetentionPolicy {
  return {
    telemetryRawDays: config.TELEMETRY_RAW_DAYS,
    telemetryHourlyDays: config.TELEMETRY_HOURLY_DAYS,
    deadLetterDays: config.DEAD_LETTER_DAYS,
    eventDays: config.EVENT_RETENTION_DAYS,
  };
}

/** The InfluxDB the settings select, if any: the configuration check makes the four go together. */
function influxConnectionOf(config: Config): InfluxConnection | undefined {
  const { INFLUX_URL: url, INFLUX_TOKEN: token, INFLUX_ORG: org, INFLUX_BUCKET: bucket } = config;
  return url && token && org && bucket ? { url, token, org, bucket } : undefined;
}

/**
 * The online lending platform, simulated: it reserves through the API with an integration token of
 * role `lending`, issued afresh at every start (the previous one revoked), never written down.
 */
function startSimulatedLendingPlatform(
  f: Foundation,
  auth: Auth,
  simulator: SimulatedFleet,
  dashboard: { port: number; tls: TlsPem | null },
) {
  const name = 'simulated lending platform';
  auth.tokens.revokeNamed(name);
  const { secret } = auth.tokens.issue({ name, role: 'lending', createdBy: 'system' });
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
