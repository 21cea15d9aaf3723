import express from 'express';
import helmet from 'helmet';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { errorHandler, notFound } from './api-error.js';
import { guard } from './auth/guard.js';
import type { DashboardContext } from './context.js';
import { auditRouter } from './routes/audit.js';
import { authRouter } from './routes/auth.js';
import { alertsRouter } from './routes/alerts.js';
import { commandsRouter } from './routes/commands.js';
import { deadLettersRouter } from './routes/dead-letters.js';
import { eventsRouter } from './routes/events.js';
import { faultResponseRouter } from './routes/fault-response.js';
import { fleetOverviewRouter } from './routes/fleet-overview.js';
import { healthRouter } from './routes/health.js';
import { inspectionsRouter } from './routes/inspections.js';
import { kioskHistoryRouter } from './routes/kiosk-history.js';
import { kiosksRouter } from './routes/kiosks.js';
import { maintenanceRouter } from './routes/maintenance.js';
import { metricsRouter } from './routes/metrics.js';
import { notificationsRouter } from './routes/notifications.js';
import { publicStatusRouter } from './routes/public-status.js';
import { reliabilityRouter } from './routes/reliability.js';
import { reportsRouter } from './routes/reports.js';
import { reservationsRouter } from './routes/reservations.js';
import { uptimeRouter } from './routes/uptime.js';
import { usersRouter } from './routes/users.js';
import { assigneesRouter } from './routes/assignees.js';
import { jsonBody } from './json-body.js';
import { buildOpenApiDocument } from './openapi/build-document.js';
import { referencePage } from './openapi/reference-page.js';
import { emqxHooksRouter } from './routes/emqx-hooks.js';
import { attachSocketGateway } from './socket.js';

/** Built on first request, then kept: it depends on the code only. */
let openApi: Record<string, unknown> | undefined;
const openApiDocument = () => (openApi ??= buildOpenApiDocument('1'));

/** The web app as Vite builds it (`web/dist`; `npm run build` copies it beside the compiled server). */
const WEB_DIR = fileURLToPath(new URL('../web/dist/', import.meta.url));

/**
 * Security headers. The page is Vite's build: scripts and style sheets from this origin only, no
 * inline script; socket.io connects back over ws/wss; images may be data: URLs (charts). No upgrade of
 * requests to https: a dashboard served over plain HTTP on a closed network must still load.
 */
const securityHeaders = helmet({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      // Style attributes only (charts' tooltips are HTML with inline styles); they cannot run script.
      styleSrcAttr: ["'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", 'ws:', 'wss:'],
      fontSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      upgradeInsecureRequests: null,
    },
  },
});

/**
 * The REST API v1 and the web page, without listening: tests and the server share it. Every route
 * under `/api` and `/metrics` answers only what the access matrix (dashboard/auth/access-matrix.ts)
 * allows the caller's role; the page's static files are public (the login screen must load).
 */
export function createDashboardApp(ctx: DashboardContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.use(guard(ctx.auth, (error) => ctx.logger.error({ err: error }, 'audit record failed')));
  app.use(jsonBody());
  const api = express.Router();
  api.use('/auth', authRouter(ctx));
  api.use('/users', usersRouter(ctx));
  api.use('/assignees', assigneesRouter(ctx));
  api.use('/audit', auditRouter(ctx));
  api.use('/health', healthRouter(ctx));
  api.use('/kiosks/:id/commands', commandsRouter(ctx));
  api.use('/kiosks/:id/maintenance', maintenanceRouter(ctx));
  api.use('/kiosks/:id/history', kioskHistoryRouter(ctx));
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
  api.use('/fleet', fleetOverviewRouter(ctx));
  api.use('/notifications', notificationsRouter(ctx));
  api.use('/public', publicStatusRouter(ctx));
  api.use('/emqx', emqxHooksRouter(ctx, ctx.emqxHookSecret));
  api.get('/openapi.json', (_req, res) => void res.json(openApiDocument()));
  api.use(notFound);
  app.use('/api/v1', api);
  app.use('/metrics', metricsRouter(ctx));
  app.use('/docs/api', referencePage());
  // The readers' status page: a static page of its own (web/public/status.*) reading the public JSON.
  app.get('/status', (_req, res) => res.sendFile('status.html', { root: WEB_DIR }));
  app.use(express.static(WEB_DIR));
  app.use(notFound);
  app.use(errorHandler((error) => ctx.logger.error({ err: error }, 'request failed')));
  return app;
}

export interface RunningDashboard {
  port: number;
  /** The express app it serves (its router stack is what the role-matrix test walks). */
  app: express.Express;
  stop(): Promise<void>;
}

/** Serves the API, the page and the socket.io gateway on one port (0 picks a free one). */
export async function startDashboard(
  ctx: DashboardContext,
  options: {
    port: number;
    host?: string;
    tls?: { cert: string; key: string };
    /** socket.io's adapter when this node is one of several (CLUSTER_REDIS_URL). */
    socketAdapter?: Parameters<typeof attachSocketGateway>[3];
  },
): Promise<RunningDashboard> {
  // With tls (PEM certificate chain and key) the port speaks HTTPS only; req.secure is then true.
  const app = createDashboardApp(ctx);
  const server = options.tls ? createHttpsServer({ ...options.tls, minVersion: 'TLSv1.2' }, app) : createServer(app);
  const gateway = attachSocketGateway(server, ctx, [], options.socketAdapter);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    app,
    async stop() {
      await gateway.close(); // closes the HTTP server too
      server.closeAllConnections();
    },
  };
}
