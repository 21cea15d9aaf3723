import type { Logger } from 'pino';
import type { RunningCollector } from '../collector/collector.js';
import type { RunningFleetHealth } from '../collector/health/start-fleet-health.js';
import type { InspectionService } from '../collector/promises/inspection-service.js';
import type { ReservationService } from '../collector/promises/reservation-service.js';
import type { ServiceMeasures } from '../collector/domain/indicators.js';
import type { PlatformMetrics } from '../collector/metrics.js';
import type { EventStore } from '../collector/store/event-store.js';
import type { Topics } from '../protocol/index.js';
import type { KioskRegistry } from '../registry/kiosk-registry.js';
import type { Auth } from './auth/auth-service.js';
import type { ExportLog } from './exports/export-log.js';
import type { DashboardNotifications } from './notifications-port.js';
import type { IndicatorTargetsStore } from './reports/indicator-targets.js';
import type { SpoolGauge } from './spool-gauge.js';

export type ComponentState = 'ok' | 'degraded' | 'down' | 'external';

export interface ComponentHealth {
  state: ComponentState;
  detail: string;
}

/** What the dashboard's routes and socket gateway read from; built by the platform. */
export interface DashboardContext {
  /**
   * The simulated fleet's clock (epoch ms) while it is still catching up with now; null when no
   * simulation runs here or it runs in real time.
   */
  simulatedNow: () => number | null;
  registry: KioskRegistry;
  store: EventStore;
  collector: RunningCollector;
  topics: Topics;
  /** People, sessions, integration tokens and the audit log: who may do what (dashboard/auth/). */
  auth: Auth;
  brokerHealth: () => ComponentHealth & { connectedKiosks?: number };
  /** With DATABASE_URL, whether this node hears PostgreSQL now; null without it (no `database` component). */
  isDatabaseReachable: (() => boolean) | null;
  /** The MQTT address machines should use, for provisioning answers. */
  mqttEndpoint: string;
  logger: Logger;
  now: () => number;
  /** The service promises (weekly inspections, 72-hour reservations). */
  inspections: InspectionService;
  reservations: ReservationService;
  /** What reports have handed out (CSV, XLSX), for revision notes. */
  exportLog: ExportLog;
  /** The library's own indicator targets (the reference network's until a manager sets them). */
  indicatorTargets: IndicatorTargetsStore;
  /**
   * Figures of the yearly indicators measured elsewhere (inspections, availability, fault
   * restoration, reservations); each one missing is reported as "not measured yet".
   */
  serviceMeasures: ServiceMeasures;
  /** Fleet health: service states, uptime, alerts, operator commands. */
  fleetHealth: RunningFleetHealth;
  /**
   * Whether this node's views also fold what the other nodes store (a cluster on PostgreSQL):
   * then every node sees each change, and pushes of those views go to its own browsers only.
   */
  isFollowingOtherNodes: boolean;
  /** The collector's durable local spool; `isEnabled` false when SPOOL_MAX_BYTES is 0. */
  spool: SpoolGauge;
  /** Prometheus metrics of the platform (`GET /metrics`). */
  metrics: PlatformMetrics;
  /** Alert notifiers (webhook, WeCom, DingTalk, e-mail); `isConfigured` false without NOTIFY_CONFIG. */
  notifications: DashboardNotifications;
  /** The bearer secret of EMQX's HTTP authentication and authorization hooks; null: they answer 404. */
  emqxHookSecret: string | null;
}
