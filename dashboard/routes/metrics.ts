import { Router } from 'express';
import type { DashboardContext } from '../context.js';

/** Prometheus' scrape endpoint (`GET /metrics`, text exposition format). */
export function metricsRouter(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/', (_req, res, next) => {
    const { metrics } = ctx;
    metrics.render().then(
      (text) => res.type(metrics.contentType).send(text),
      (error: unknown) => next(error),
    );
  });
  return router;
}
