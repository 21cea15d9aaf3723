import { io, type Socket } from 'socket.io-client';
import type { AlertView } from '../../../dashboard/alert-view.js';
import type { EscalationPush } from '../../../dashboard/socket-events.js';
import type { KioskView } from '../../../dashboard/kiosk-view.js';
import type { PromisesSummary } from '../../../dashboard/socket-events.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../dashboard/socket-events.js';

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

/** A background tab runs no animation frames: a timer applies the updates after this long instead. */
const HIDDEN_FLUSH_MS = 1_000;

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
  let isFlushScheduled = false;
  let isAwaitingAlertSnapshot = true;
  /** Whether this connection of the page already had an alerts snapshot: the next one is a resync. */
  let hasAlertSnapshot = false;

  const flush = () => {
    if (!isFlushScheduled) return; // the frame and the timer race: the first one applies the updates
    isFlushScheduled = false;
    const updates = pending;
    pending = [];
    for (const update of updates) state = update(state);
    for (const listener of listeners) listener();
  };
  const schedule = (update: (s: LiveState) => LiveState) => {
    pending.push(update);
    if (isFlushScheduled) return;
    isFlushScheduled = true;
    requestAnimationFrame(flush);
    // A wall screen left behind another tab must not pile up hours of pushes until it is shown.
    setTimeout(flush, HIDDEN_FLUSH_MS);
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
    const isResync = isSnapshot && hasAlertSnapshot;
    isAwaitingAlertSnapshot = false;
    hasAlertSnapshot = true;
    schedule((s) => mergeAlerts(s, alerts, isSnapshot, isResync));
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
    /** Each attempt shows as "connecting", so a refused one is a change the page can react to again. */
    connect() {
      if (socket.active) return; // connected, or socket.io is already retrying on its own
      schedule((s) => ({ ...s, connection: 'connecting' }));
      socket.connect();
    },
    /** The page stops watching (sign-out): the next connection's alerts are a fresh start, not news. */
    disconnect() {
      hasAlertSnapshot = false;
      socket.disconnect();
    },
  };
}

/**
 * Alerts into the map; resolved ones leave it. A critical alert first seen after the snapshot is
 * news, and so is one first seen in the snapshot of a reconnect (`isResync`): it opened while the
 * connection was down, and the crew must still hear of it.
 */
export function mergeAlerts(s: LiveState, alerts: AlertView[], isSnapshot: boolean, isResync = false): LiveState {
  const next = isSnapshot ? new Map<string, AlertView>() : new Map(s.alerts);
  let newCritical = s.newCritical;
  for (const alert of alerts) {
    const isNew = !s.alerts.has(alert.id);
    if (alert.state === 'resolved') next.delete(alert.id);
    else next.set(alert.id, alert);
    if ((!isSnapshot || isResync) && isNew && alert.state === 'open' && alert.severity === 'critical') {
      newCritical = { alert, seq: (newCritical?.seq ?? 0) + 1 };
    }
  }
  return { ...s, alerts: next, newCritical };
}

export type LiveStore = ReturnType<typeof createLiveStore>;
