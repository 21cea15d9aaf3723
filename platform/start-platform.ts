/**
 * The composition root: the platform built in stages (storage, messaging, services, web,
 * simulation), each given what the stages before it built, each stopped whole and in reverse.
 */
import type { Logger } from 'pino';
import type { RunningBroker } from '../broker/broker.js';
import type { RunningCollector } from '../collector/collector.js';
import type { RunningFleetHealth } from '../collector/health/start-fleet-health.js';
import type { NotificationDispatcher } from '../collector/notify/dispatcher.js';
import { loadNotifyConfig } from '../collector/notify/notify-config.js';
import type { Scheduler } from '../collector/notify/scheduler.js';
import type { ServicePromises } from '../collector/promises/service-promises.js';
import type { EventStore } from '../collector/store/event-store.js';
import type { Config } from '../config/config.js';
import type { Auth } from '../dashboard/auth/auth-service.js';
import type { RunningDashboard } from '../dashboard/server.js';
import { startBackupSchedule } from '../datadir/backup-schedule.js';
import { holdDataDir } from '../datadir/run-lock.js';
import type { SimulatedFleet } from '../simulator/fleet.js';
import { type Foundation, openFoundation } from './foundation.js';
import { startMessaging } from './messaging.js';
import { startServices } from './services.js';
import { startSimulation } from './simulation.js';
import { checkStorageSettings, openStorage } from './storage.js';
import { Stops } from './stops.js';
import { startWeb } from './web.js';

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
 * Starts the stages in dependency order and stops them in reverse, so what is buffered is flushed
 * before what it flows into closes.
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
  const influx = await checkStorageSettings(config);
  // A bad notification settings file stops the start before anything runs.
  const notifyConfig = config.NOTIFY_CONFIG ? loadNotifyConfig(config.NOTIFY_CONFIG) : null;
  const foundation = await openFoundation(config, logger);
  const stops = new Stops(logger);
  // Released last: `restore` refuses the directory while anything of the platform may still write.
  const hold = holdDataDir(config.DATA_DIR, 'platform');
  stops.defer(() => hold.release());
  stops.defer(() => foundation.registry.close());
  try {
    const storage = await openStorage({ foundation, influx, hasNotifications: notifyConfig !== null, now });
    stops.defer(() => storage.stop());

    const messaging = await startMessaging({ foundation, isEmbedded: parts.broker });
    stops.defer(() => messaging.stop());

    const services = await startServices({ foundation, storage, messaging, notifyConfig, notifyScheduler });
    stops.defer(() => services.stop());

    const web = await startWeb({ foundation, storage, messaging, services, notifyConfig, now });
    stops.defer(() => web.stop());

    if (config.BACKUP_DIR) {
      const backups = startBackupSchedule({
        dataDir: config.DATA_DIR,
        backupDir: config.BACKUP_DIR,
        everyMs: config.BACKUP_EVERY,
        keep: config.BACKUP_KEEP,
        logger,
      });
      stops.defer(() => backups.stop());
    }

    const simulation = await startSimulation({
      foundation,
      isMqttFleet: parts.simulator,
      isSip2Fleet: parts.sip2Simulator ?? false,
      mqttUrl: messaging.mqttUrl,
      auth: storage.auth,
      dashboard: { port: web.dashboard.port, tls: web.tls },
    });
    stops.defer(() => simulation.stop());

    return {
      broker: messaging.broker,
      collector: services.collector,
      dashboard: web.dashboard,
      simulator: simulation.simulator,
      store: storage.store,
      promises: services.promises,
      fleetHealth: services.fleetHealth,
      notifications: services.notifications,
      auth: storage.auth,
      foundation,
      mqttUrl: messaging.mqttUrl,
      stop: () => stops.stop(),
    };
  } catch (error) {
    await stops.stop();
    throw error;
  }
}
