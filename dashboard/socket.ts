import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import type { KioskLiveState } from '../collector/domain/fleet-state.js';
import type { EventRecord } from '../collector/store/event-store.js';
import { SOCKET_MATRIX } from './auth/access-matrix.js';
import type { Principal } from './auth/roles.js';
import type { DashboardContext } from './context.js';
import { attachHealthPush } from './health-push.js';
import { toKioskView } from './kiosk-view.js';
import { attachPromisesPush } from './promises-push.js';
import type { ClientToServerEvents, LiveEvent, ServerToClientEvents } from './socket-events.js';

interface SocketData {
  principal: Principal;
}

/** How often live sockets are checked against their session (idle or absolute expiry, revocation elsewhere). */
const SESSION_CHECK_MS = 500;
const roomOf = (p: Principal) => (p.kind === 'session' ? `session:${p.sessionKey}` : `token:${p.tokenId}`);

/**
 * Pushes are coalesced: a busy fleet sends at most one update of each kind per interval. The
 * interval adds up to itself to an event's publish → screen time: at 200 ms the live p99 was
 * 202 ms at 1,000 events/s, at 50 ms it meets the < 100 ms target (docs/benchmarks.md, Live latency).
 */
const PUSH_INTERVAL_MS = 50;
const MAX_EVENTS_PER_PUSH = 500;

/**
 * `cors` does not stop WebSocket connections from other sites, so the Origin is checked here:
 * only pages served by this dashboard (same host) or listed origins may connect.
 */
export function isOriginAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser: no ambient credentials to abuse
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function attachSocketGateway(
  httpServer: HttpServer,
  ctx: DashboardContext,
  allowedOrigins: readonly string[] = [],
  /** One node of several: pushes and disconnections reach the browsers on every node (socket-cluster-adapter.ts). */
  adapter?: ServerOptions['adapter'],
) {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
    serveClient: true,
    ...(adapter ? { adapter } : {}),
    allowRequest: (req, callback) => callback(null, isOriginAllowed(req, allowedOrigins)),
  });
  // The handshake carries the session cookie, or an integration token as `auth.token`; without a
  // valid one the client gets connect_error UNAUTHENTICATED and not a byte of data.
  io.use(async (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    let principal: Principal | null | undefined;
    try {
      principal = await ctx.auth.authenticate({
        cookieHeader: socket.request.headers.cookie,
        bearer: typeof token === 'string' ? token : undefined,
      });
    } catch {
      return next(new Error('UNAVAILABLE'));
    }
    if (!principal) return next(new Error('UNAUTHENTICATED'));
    if (!(SOCKET_MATRIX.connect as readonly string[]).includes(principal.role)) return next(new Error('FORBIDDEN'));
    if (principal.kind === 'session' && principal.mustChangePassword) return next(new Error('PASSWORD_CHANGE_REQUIRED'));
    socket.data.principal = principal;
    next();
  });
  const offEnded = ctx.auth.onEnded(({ sessionKeys = [], tokenIds = [] }) => {
    for (const key of sessionKeys) io.in(`session:${key}`).disconnectSockets(true);
    for (const id of tokenIds) io.in(`token:${id}`).disconnectSockets(true);
  });
  // Also how a sign-out or a disabled account on another node reaches this node's sockets.
  const sessionCheck = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      ctx.auth.isStillValid(socket.data.principal).then(
        (isValid) => {
          if (!isValid) socket.disconnect(true);
        },
        () => undefined, // the store is down: checked again at the next round
      );
    }
  }, SESSION_CHECK_MS);
  const { fleet, ingest } = ctx.collector;
  const changed = new Map<string, KioskLiveState>();
  let newEvents: LiveEvent[] = [];

  const onChanged = (states: KioskLiveState[]) => {
    for (const s of states) changed.set(s.kioskId, s);
  };
  const onStored = (records: EventRecord[]) => {
    for (const r of records) {
      if (newEvents.length >= MAX_EVENTS_PER_PUSH) newEvents.shift();
      newEvents.push({ kioskId: r.kioskId, id: r.id, type: r.type, ts: r.ts, data: r.data });
    }
  };
  fleet.on('changed', onChanged);
  ingest.on('stored', onStored);
  const promises = attachPromisesPush(io, ctx);
  const health = attachHealthPush(io, ctx, (kioskIds) => {
    for (const id of kioskIds) {
      const state = fleet.get(id);
      if (state) changed.set(id, state);
    }
  });
  const serviceOf = (id: string) => ctx.fleetHealth.health.serviceState(id);

  // Every node folds every node's appends when it follows them: each tells its own browsers.
  const kioskPushes = ctx.isFollowingOtherNodes ? io.local : io;
  const timer = setInterval(() => {
    if (changed.size > 0) {
      kioskPushes.emit(
        'kiosks',
        [...changed.values()].map((s) => toKioskView(ctx.registry.get(s.kioskId), s, s.kioskId, serviceOf(s.kioskId))),
      );
      changed.clear();
    }
    if (newEvents.length > 0) {
      io.emit('events', newEvents);
      newEvents = [];
    }
  }, PUSH_INTERVAL_MS);

  io.on('connection', (socket) => {
    void socket.join(roomOf(socket.data.principal));
    const records = new Map(ctx.registry.list().map((k) => [k.id, k]));
    const ids = new Set([...records.keys(), ...fleet.all().map((s) => s.kioskId)]);
    const kiosks = [...ids].sort().map((id) => toKioskView(records.get(id), fleet.get(id), id, serviceOf(id)));
    socket.emit('snapshot', { kiosks, at: new Date(ctx.now()).toISOString() });
  });

  return {
    io,
    async close() {
      clearInterval(timer);
      clearInterval(sessionCheck);
      offEnded();
      fleet.off('changed', onChanged);
      ingest.off('stored', onStored);
      promises.close();
      health.close();
      await io.close();
    },
  };
}
