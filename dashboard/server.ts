import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { errorHandler, notFound } from './api-error.js';
import type { DashboardContext } from './context.js';
import { deadLettersRouter } from './routes/dead-letters.js';
import { eventsRouter } from './routes/events.js';
import { healthRouter } from './routes/health.js';
import { kiosksRouter } from './routes/kiosks.js';
import { attachSocketGateway } from './socket.js';

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

/** The REST API v1 and the web page, without listening: tests and the server share it. */
export function createDashboardApp(ctx: DashboardContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));
  const api = express.Router();
  api.use('/health', healthRouter(ctx));
  api.use('/kiosks', kiosksRouter(ctx));
  api.use('/events', eventsRouter(ctx));
  api.use('/dead-letters', deadLettersRouter(ctx));
  api.use(notFound);
  app.use('/api/v1', api);
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
