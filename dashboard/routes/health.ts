import { Router } from 'express';
import type { DashboardContext } from '../context.js';
import { platformComponents } from '../platform-health.js';

/** Broker, collector and store, each with a state and a sentence; 503 when any is down. */
export function healthRouter(ctx: DashboardContext): Router {
  const router = Router();
  // Liveness without credentials, for a load balancer: says the process answers, and nothing else.
  router.get('/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/', (_req, res) => {
    const ingest = ctx.collector.ingest.stats();
    const components = platformComponents(ctx);
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
