import { Router } from 'express';
import type { ComponentHealth, DashboardContext } from '../context.js';

/** Notification channels, when configured: degraded while one is retrying or gave a message up. */
function notificationsHealth(ctx: DashboardContext): { notifications?: ComponentHealth } {
  if (!ctx.notifications) return {};
  const troubled = ctx.notifications.health().filter((c) => c.state !== 'ok');
  if (troubled.length === 0) return { notifications: { state: 'ok', detail: 'every channel delivering' } };
  const detail = troubled.map((c) => `${c.name} ${c.state}: ${c.lastError?.message ?? ''}`.trim()).join('; ');
  return { notifications: { state: 'degraded', detail } };
}

/** Broker, collector and store, each with a state and a sentence; 503 when any is down. */
export function healthRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    const ingest = ctx.collector.ingest.stats();
    const collector: ComponentHealth = ctx.collector.isConnected()
      ? { state: 'ok', detail: 'subscribed to the broker' }
      : { state: 'down', detail: 'not connected to the broker; reconnecting' };
    const store: ComponentHealth =
      ingest.lastStoreError !== null && ingest.queuedEvents > 0
        ? { state: 'degraded', detail: `writes failing (${ingest.lastStoreError}); ${ingest.queuedEvents} events waiting` }
        : { state: 'ok', detail: `${ingest.eventsStored} events stored since start` };
    const components = { broker: ctx.brokerHealth(), collector, store, ...notificationsHealth(ctx) };
    const states = Object.values(components).map((c) => c.state);
    const status = states.includes('down') ? 'down' : states.includes('degraded') ? 'degraded' : 'ok';
    res.status(status === 'down' ? 503 : 200).json({
      status,
      time: new Date(ctx.now()).toISOString(),
      components,
      ingest,
    });
  });
  return router;
}
