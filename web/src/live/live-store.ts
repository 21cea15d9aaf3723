import { io, type Socket } from 'socket.io-client';
import type { AlertView } from '../../../dashboard/alert-view.js';
import type { EscalationPush } from '../../../dashboard/health-push.js';
import type { KioskView } from '../../../dashboard/kiosk-view.js';
import type { PromisesSummary } from '../../../dashboard/promises-push.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../dashboard/socket.js';

export type { AlertView, KioskView, PromisesSummary };

/** What the live push has told the page; replaced (not mutated) on every change so views can compare. */
export interface LiveState {
  connection: 'connecting' | 'live' | 'reconnecting' | 'ended' | 'unauthenticated';
  kiosks: ReadonlyMap<string, KioskView>;
  /** Open and acknowledged alerts. */
  alerts: ReadonlyMap<string, AlertView>;
  promises: PromisesSummary | null;
  /** The newest critical alert that opened while the page was watching (not one already open at load). */
  newCritical: { alert: AlertView; seq: number } | null;
  /** Bumped by every reservation notice and escalation, so boards that fetch lists know to refresh. */
  noticeSeq: number;
}

type Listener = () => void;

/**
 * The socket.io feed as a store. Every (re)connect starts with the server's full snapshot and open
 * alerts, which replace what the page held: a reconnect resyncs without a reload. Updates are
 * applied at most once per animation frame, so a burst of pushes is one render.
 */
export function createLiveStore() {
  let state: LiveState = {
    connection: 'connecting',
    kiosks: new Map(),
    alerts: new Map(),
    promises: null,
    newCritical: null,
    noticeSeq: 0,
  };
  const listeners = new Set<Listener>();
  let pending: Array<(s: LiveState) => LiveState> = [];
  let frame: number | null = null;
  let isAwaitingAlertSnapshot = true;

  const flush = () => {
    frame = null;
    const updates = pending;
    pending = [];
    for (const update of updates) state = update(state);
    for (const listener of listeners) listener();
  };
  const schedule = (update: (s: LiveState) => LiveState) => {
    pending.push(update);
    frame ??= requestAnimationFrame(flush);
  };

  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ autoConnect: false, withCredentials: true });
  socket.on('connect', () => {
    isAwaitingAlertSnapshot = true;
    schedule((s) => ({ ...s, connection: 'live' }));
  });
  // The server ends the connection itself at logout or when the session expires: no automatic
  // reconnect follows, the page checks its session instead.
  socket.on('disconnect', (reason) =>
    schedule((s) => ({ ...s, connection: reason === 'io server disconnect' ? 'ended' : 'reconnecting' })),
  );
  socket.on('connect_error', (error) => {
    const connection = error.message === 'UNAUTHENTICATED' ? 'unauthenticated' : 'reconnecting';
    schedule((s) => ({ ...s, connection }));
  });
  socket.on('snapshot', ({ kiosks }) => schedule((s) => ({ ...s, kiosks: new Map(kiosks.map((k) => [k.id, k])) })));
  socket.on('kiosks', (kiosks) =>
    schedule((s) => {
      const next = new Map(s.kiosks);
      for (const k of kiosks) next.set(k.id, k);
      return { ...s, kiosks: next };
    }),
  );
  socket.on('alerts', (alerts) => {
    const isSnapshot = isAwaitingAlertSnapshot;
    isAwaitingAlertSnapshot = false;
    schedule((s) => mergeAlerts(s, alerts, isSnapshot));
  });
  socket.on('promises', (promises) => schedule((s) => ({ ...s, promises })));
  socket.on('notice', () => schedule((s) => ({ ...s, noticeSeq: s.noticeSeq + 1 })));
  socket.on('escalation', (escalation: EscalationPush) =>
    schedule((s) => mergeAlerts({ ...s, noticeSeq: s.noticeSeq + 1 }, [escalation.alert], false)),
  );

  return {
    getState: () => state,
    subscribe(listener: Listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    connect: () => void socket.connect(),
    disconnect: () => void socket.disconnect(),
  };
}

/** Alerts into the map; resolved ones leave it. A critical alert first seen after the snapshot is news. */
export function mergeAlerts(s: LiveState, alerts: AlertView[], isSnapshot: boolean): LiveState {
  const next = isSnapshot ? new Map<string, AlertView>() : new Map(s.alerts);
  let newCritical = s.newCritical;
  for (const alert of alerts) {
    const isNew = !s.alerts.has(alert.id);
    if (alert.state === 'resolved') next.delete(alert.id);
    else next.set(alert.id, alert);
    if (!isSnapshot && isNew && alert.state === 'open' && alert.severity === 'critical') {
      newCritical = { alert, seq: (newCritical?.seq ?? 0) + 1 };
    }
  }
  return { ...s, alerts: next, newCritical };
}

export type LiveStore = ReturnType<typeof createLiveStore>;
