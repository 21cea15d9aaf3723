import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { errorHandler, notFound } from './api-error.js';
import type { DashboardContext } from './context.js';
import { alertsRouter } from './routes/alerts.js';
import { commandsRouter } from './routes/commands.js';
import { deadLettersRouter } from './routes/dead-letters.js';
import { eventsRouter } from './routes/events.js';
import { faultResponseRouter } from './routes/fault-response.js';
import { healthRouter } from './routes/health.js';
import { inspectionsRouter } from './routes/inspections.js';
import { kiosksRouter } from './routes/kiosks.js';
import { maintenanceRouter } from './routes/maintenance.js';
import { metricsRouter } from './routes/metrics.js';
import { notificationsRouter } from './routes/notifications.js';
import { reliabilityRouter } from './routes/reliability.js';
import { reportsRouter } from './routes/reports.js';
import { reservationsRouter } from './routes/reservations.js';
import { uptimeRouter } from './routes/uptime.js';
import { attachSocketGateway } from './socket.js';

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

/** The REST API v1 and the web page, without listening: tests and the server share it. */
export function createDashboardApp(ctx: DashboardContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));
  const api = express.Router();
  api.use('/health', healthRouter(ctx));
  api.use('/kiosks/:id/commands', commandsRouter(ctx));
  api.use('/kiosks/:id/maintenance', maintenanceRouter(ctx));
  api.use('/kiosks', kiosksRouter(ctx));
  api.use('/events', eventsRouter(ctx));
  api.use('/dead-letters', deadLettersRouter(ctx));
  api.use('/reports', reportsRouter(ctx));
  api.use('/inspections', inspectionsRouter(ctx));
  api.use('/reservations', reservationsRouter(ctx));
  api.use('/uptime', uptimeRouter(ctx));
  api.use('/alerts', alertsRouter(ctx));
  api.use('/fault-response', faultResponseRouter(ctx));
  api.use('/reliability', reliabilityRouter(ctx));
  api.use('/notifications', notificationsRouter(ctx));
  api.use(notFound);
  app.use('/api/v1', api);
  app.use('/metrics', metricsRouter(ctx));
  app.use(express.static(WEB_DIR));
  app.use(notFound);
  app.use(errorHandler((error) => ctx.logger.error({ err: error }, 'request failed')));
  return app;
}

export interface RunningDashboard {
  port: number;
  stop(): Promise<void>;
}

/** Serves the API, the page and the socket.io gateway on one port (0 picks a free one). */
export async function startDashboard(ctx: DashboardContext, options: { port: number; host?: string }): Promise<RunningDashboard> {
  const server = createServer(createDashboardApp(ctx));
  const gateway = attachSocketGateway(server, ctx);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      await gateway.close(); // closes the HTTP server too
      server.closeAllConnections();
    },
  };
}
