import type { Logger } from 'pino';
import type { RunningCollector } from '../collector/collector.js';
import type { EventStore } from '../collector/store/event-store.js';
import type { Topics } from '../protocol/index.js';
import type { KioskRegistry } from '../registry/kiosk-registry.js';

export type ComponentState = 'ok' | 'degraded' | 'down' | 'external';

export interface ComponentHealth {
  state: ComponentState;
  detail: string;
}

/** What the dashboard's routes and socket gateway read from; built by the platform. */
export interface DashboardContext {
  registry: KioskRegistry;
  store: EventStore;
  collector: RunningCollector;
  topics: Topics;
  /** SHA-256 of the admin token that guards provisioning. */
  adminTokenHash: string;
  brokerHealth: () => ComponentHealth & { connectedKiosks?: number };
  /** The MQTT address machines should use, for provisioning answers. */
  mqttEndpoint: string;
  logger: Logger;
  now: () => number;
}
