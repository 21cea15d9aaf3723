import type { Logger } from 'pino';
import type { KioskRegistry } from '../../registry/kiosk-registry.js';
import type { RunningCollector } from '../collector.js';
import type { Calendar } from '../../time/calendar.js';
import type { EscalationPolicy } from '../domain/escalation.js';
import type { EventStore } from '../store/event-store.js';
import { AlertDesk } from './alert-desk.js';
import { FleetHealth } from './fleet-health.js';
import { KioskOperations } from './kiosk-operations.js';
import { LendingWatch } from './lending-watch.js';
import { PlatformWatch } from './platform-watch.js';
import { lastHeardInStore, SilenceDetector } from './silence-detector.js';

export interface FleetHealthStartOptions {
  store: EventStore;
  collector: RunningCollector;
  registry: Pick<KioskRegistry, 'get' | 'list' | 'setLifecycle'>;
  calendar: Calendar;
  policy: EscalationPolicy;
  /** Telemetry silence after which a machine is offline (OFFLINE_AFTER_MS). */
  offlineAfterMs: number;
  /** Whether a command can reach a machine now (KioskOperations' `canReach`). */
  canReachKiosk: (kioskId: string) => boolean;
  /** When the platform last received before this start (lastActivityMs, read before the collector started). */
  downSinceMs: number | null;
  logger: Logger;
  now?: () => number;
  /** Escalation and maintenance-boundary check interval; default 10 s. */
  checkIntervalMs?: number;
  /** Poisson probability below which a machine in service is "online but not lending" (NOT_LENDING_PROBABILITY). */
  notLendingProbability?: number;
  /** How often the lending check runs; default 5 min. */
  lendingCheckIntervalMs?: number;
  /**
   * In a cluster: whether this node's broker holds the machine's connection. Only then does this
   * node judge the machine's silence and lending (it hears no other machine). Unset: every machine.
   */
  holdsConnection?: (kioskId: string) => boolean;
  /**
   * Collectors sharing an external broker's ingest (MQTT_SHARE_GROUP): each hears a share of every
   * machine's messages, so silence is confirmed against the shared store before it is recorded.
   */
  sharesIngest?: boolean;
  /** One node of several: its name in the platform's markers (NODE_NAME). */
  nodeName?: string;
}

export interface RunningFleetHealth {
  health: FleetHealth;
  alertDesk: AlertDesk;
  operations: KioskOperations;
  silence: SilenceDetector;
  /** Online but not lending: expected activity and the lending check. */
  lending: LendingWatch;
  stop(): Promise<void>;
}

/** Service states, alerts and escalations, the silence detector and the platform's own markers. */
export async function startFleetHealth(options: FleetHealthStartOptions): Promise<RunningFleetHealth> {
  const { store, collector, registry, calendar, policy } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'health' });
  const { ingest } = collector;
  const health = new FleetHealth({
    store,
    ingest,
    calendar,
    policy,
    listKioskIds: () => registry.list().map((k) => k.id),
    lifecycleOf: (kioskId) => registry.get(kioskId)?.lifecycle,
    now,
    logger,
    ...(options.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.checkIntervalMs }),
  });
  await health.start();
  const watch = new PlatformWatch({
    ingest,
    isReceiving: () => collector.isConnected(),
    downSinceMs: options.downSinceMs,
    now,
    logger,
    ...(options.nodeName === undefined ? {} : { node: options.nodeName }),
  });
  await watch.start();
  const silence = new SilenceDetector({
    ingest,
    liveStates: () => collector.fleet.all(),
    isReceiving: () => collector.isConnected(),
    silentKioskIds: health.silentKioskIds(),
    timeoutMs: options.offlineAfterMs,
    now,
    logger,
    ...(options.holdsConnection ? { holdsConnection: options.holdsConnection } : {}),
    ...(options.sharesIngest
      ? { heardSince: (kioskId: string, sinceMs: number) => lastHeardInStore(store, kioskId, sinceMs) }
      : {}),
  });
  silence.start();
  const lending = new LendingWatch({
    store,
    ingest,
    health,
    calendar,
    check: options.notLendingProbability === undefined ? {} : { thresholdProbability: options.notLendingProbability },
    isReceiving: () => collector.isConnected(),
    now,
    logger,
    ...(options.holdsConnection ? { holdsConnection: options.holdsConnection } : {}),
    ...(options.lendingCheckIntervalMs === undefined ? {} : { checkIntervalMs: options.lendingCheckIntervalMs }),
  });
  await lending.start();
  return {
    health,
    alertDesk: new AlertDesk({ health, ingest, now }),
    operations: new KioskOperations({
      ingest,
      registry,
      health,
      publishCommand: (id, command) => collector.publishCommand(id, command),
      canReach: options.canReachKiosk,
      now,
    }),
    silence,
    lending,
    async stop() {
      lending.stop();
      silence.stop();
      await watch.stop();
      health.stop();
    },
  };
}
