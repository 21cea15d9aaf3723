import type { Server } from 'socket.io';
import type { Alert } from '../collector/domain/alerts.js';
import type { EscalationNotice, KioskServiceState } from '../collector/health/fleet-health.js';
import { toAlertView } from './alert-view.js';
import type { DashboardContext } from './context.js';
import type { ClientToServerEvents, ServerToClientEvents } from './socket-events.js';

/** An escalation as the live page receives it: once per alert and step. */
/** Alert changes are coalesced: at most one push per interval. */
const PUSH_INTERVAL_MS = 200;

/**
 * Pushes `alerts` (the open ones on connect, then every alert that changes) and each `escalation`
 * at once: the dashboard's own notification channel. Service-state changes are handed to the
 * gateway, which pushes the machines' rows again.
 */
export function attachHealthPush(
  io: Server<ClientToServerEvents, ServerToClientEvents>,
  ctx: DashboardContext,
  onServiceStates: (kioskIds: string[]) => void,
): { close(): void } {
  const { health } = ctx.fleetHealth;
  const view = (alert: Alert) => toAlertView(alert, health.policy, ctx.now());
  const pending = new Map<string, Alert>();
  // Each node of a cluster that follows the others sees every alert change: it tells its own browsers.
  const alertPushes = ctx.isFollowingOtherNodes ? io.local : io;
  const onAlerts = (alerts: Alert[]) => {
    for (const alert of alerts) pending.set(alert.id, alert);
  };
  const onStates = (states: KioskServiceState[]) => onServiceStates(states.map((s) => s.kioskId));
  const onEscalation = (notice: EscalationNotice) =>
    void io.emit('escalation', {
      alert: view(notice.alert),
      step: notice.step,
      percent: notice.percent,
      dueAt: new Date(notice.dueAtMs).toISOString(),
    });
  health.on('alerts', onAlerts);
  health.on('states', onStates);
  health.on('escalation', onEscalation);

  const timer = setInterval(() => {
    if (pending.size === 0) return;
    alertPushes.emit('alerts', [...pending.values()].map(view));
    pending.clear();
  }, PUSH_INTERVAL_MS);
  timer.unref();
  io.on('connection', (socket) => socket.emit('alerts', health.alerts({ states: ['open', 'acknowledged'] }).map(view)));

  return {
    close() {
      clearInterval(timer);
      health.off('alerts', onAlerts);
      health.off('states', onStates);
      health.off('escalation', onEscalation);
    },
  };
}
