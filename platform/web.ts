/**
 * The web stage: the dashboard's context, built whole from the stages before it, and the dashboard
 * server; and the platform notifier, which watches the same component health the dashboard shows.
 */
import { fleetHealthMeasures } from '../collector/health/indicator-measures.js';
import type { NotifyConfig } from '../collector/notify/notify-config.js';
import { startPlatformNotifier } from '../collector/notify/platform-notifier.js';
import { servicePromiseMeasures } from '../collector/promises/indicator-measures.js';
import { loadTlsPem, type TlsPem } from '../config/tls.js';
import { createSignInHealth } from '../dashboard/auth/sign-in-health.js';
import type { DashboardContext } from '../dashboard/context.js';
import { dashboardNotificationsOf } from '../dashboard/notifications-port.js';
import { platformComponents } from '../dashboard/platform-health.js';
import { type RunningDashboard, startDashboard } from '../dashboard/server.js';
import { spoolGaugeOf } from '../dashboard/spool-gauge.js';
import type { Foundation } from './foundation.js';
import type { Messaging } from './messaging.js';
import type { Services } from './services.js';
import type { Storage } from './storage.js';
import { buildStage, type Stoppable } from './stops.js';

export interface WebInput {
  foundation: Foundation;
  storage: Pick<Storage, 'store' | 'spool' | 'exportLog' | 'indicatorTargets' | 'auth'>;
  messaging: Pick<Messaging, 'broker' | 'brokerHealth' | 'mqttEndpoint' | 'socketAdapter'>;
  services: Omit<Services, 'stop'>;
  notifyConfig: NotifyConfig | null;
  /** The dashboard's clock (sessions expire by it): tests move it. */
  now: () => number;
  /** The simulated clock while the simulated fleet catches up with now, else null. */
  simulatedNow: () => number | null;
}

export interface Web extends Stoppable {
  dashboard: RunningDashboard;
  context: DashboardContext;
  /** The dashboard's certificate with HTTPS=on, else null. */
  tls: TlsPem | null;
}

export function startWeb(input: WebInput): Promise<Web> {
  const { foundation: f, storage, messaging, services, notifyConfig, now } = input;
  const { config, logger } = f;
  const { collector, promises, fleetHealth, notifications } = services;
  return buildStage(logger, async (stops) => {
    const context: DashboardContext = {
      simulatedNow: input.simulatedNow,
      registry: f.registry,
      store: storage.store,
      collector,
      topics: f.topics,
      auth: storage.auth,
      brokerHealth: messaging.brokerHealth,
      isDatabaseReachable: f.isDatabaseReachable,
      mqttEndpoint: messaging.mqttEndpoint,
      emqxHookSecret: config.EMQX_HOOK_SECRET ?? null,
      logger: logger.child({ component: 'dashboard' }),
      now,
      inspections: promises.inspections,
      reservations: promises.reservations,
      exportLog: storage.exportLog,
      indicatorTargets: storage.indicatorTargets,
      fleetHealth,
      isFollowingOtherNodes: services.isFollowingOtherNodes,
      notifications: dashboardNotificationsOf(notifications),
      spool: spoolGaugeOf(storage.spool),
      metrics: services.metrics,
      serviceMeasures: {
        ...fleetHealthMeasures(fleetHealth.health, Date.now),
        ...servicePromiseMeasures(promises.inspections, promises.reservations),
      },
    };
    if (notifications && notifyConfig) {
      const { sampleIntervalMs, ...policy } = notifyConfig.platform;
      const signInHealth = createSignInHealth(storage.auth);
      const platformNotifier = startPlatformNotifier({
        sample: () => {
          // The spool's and the broker's health stay degraded once they dropped anything (counted since
          // start); drops are told through their counters instead, the spool's backlog through the store's.
          const { spool: _spool, broker: _broker, ...components } = platformComponents(context);
          const offlineQueue = messaging.broker?.stats().offlineQueue.dropped ?? 0;
          return {
            components: { ...components, 'sign-in': signInHealth.sample() },
            drops: {
              spool: collector.ingest.stats().spoolDropped,
              offlineQueue,
              idConflict: collector.ingest.stats().idConflicts,
            },
          };
        },
        policy,
        sampleIntervalMs,
        listeners: [
          (notices) =>
            void notifications
              .acceptPlatform(notices)
              .catch((error: unknown) => logger.error({ err: error }, 'platform notices could not be recorded in the outbox')),
        ],
        logger,
      });
      stops.defer(() => platformNotifier.stop());
    }
    const tls = config.HTTPS === 'on' ? loadTlsPem(config) : null;
    const dashboard = await startDashboard(context, {
      port: config.PORT,
      host: config.HOST,
      ...(tls ? { tls } : {}),
      ...(messaging.socketAdapter ? { socketAdapter: messaging.socketAdapter } : {}),
    });
    stops.defer(() => dashboard.stop());
    return { dashboard, context, tls };
  });
}
