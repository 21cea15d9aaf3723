import type { ComponentHealth, DashboardContext } from './context.js';

/**
 * Notification channels, when configured: degraded while one is retrying or holds a message for a
 * person; with each channel's outbox depth and oldest message, so a backlog is seen before it is late.
 */
function notificationsHealth(ctx: DashboardContext): {
  notifications?: ComponentHealth & { outbox: { channel: string; depth: number; held: number; oldestAgeMs: number | null }[] };
} {
  if (!ctx.notifications.isConfigured) return {};
  const channels = ctx.notifications.health();
  const outbox = channels.map((c) => ({ channel: c.name, depth: c.queued, held: c.held, oldestAgeMs: c.oldestAgeMs }));
  const waiting = channels.reduce((sum, c) => sum + c.queued, 0);
  const troubled = channels.filter((c) => c.state !== 'ok');
  if (troubled.length === 0) {
    return { notifications: { state: 'ok', detail: `every channel delivering; ${waiting} messages waiting`, outbox } };
  }
  const detail = troubled
    .map((c) => {
      const age = c.oldestAgeMs === null ? '' : `, oldest ${Math.floor(c.oldestAgeMs / 60_000)} min`;
      return `${c.name} ${c.state} (${c.queued} waiting${c.held > 0 ? `, ${c.held} held` : ''}${age}): ${c.lastError?.message ?? ''}`.trim();
    })
    .join('; ');
  return { notifications: { state: 'degraded', detail, outbox } };
}

/**
 * The collector's local spool, when there is one: degraded while it holds events (the store is
 * behind) or has refused some for want of room (they were not acked; machines resend them).
 */
function spoolHealth(ctx: DashboardContext): { spool?: ComponentHealth & { depth: number; bytes: number; dropped: number } } {
  if (!ctx.spool.isEnabled) return {};
  const spool = ctx.spool.stats();
  const figures = { depth: spool.depthEvents, bytes: spool.bytes, dropped: spool.droppedEvents };
  const room = `${spool.bytes} of ${spool.maxBytes} bytes`;
  if (spool.droppedEvents > 0)
    return {
      spool: {
        state: 'degraded',
        detail: `${spool.droppedEvents} events refused when full (not acked, machines resend); ${spool.depthEvents} events held, ${room}`,
        ...figures,
      },
    };
  if (spool.depthEvents > 0)
    return {
      spool: { state: 'degraded', detail: `${spool.depthEvents} events held until the store takes them; ${room}`, ...figures },
    };
  return { spool: { state: 'ok', detail: `empty; ${room}`, ...figures } };
}

/**
 * PostgreSQL, with DATABASE_URL: degraded while this node cannot reach it, even when no event is
 * waiting to be written (an idle fleet at night), since signing in and every change wait for it.
 */
function databaseHealth(ctx: DashboardContext): { database?: ComponentHealth } {
  if (ctx.isDatabaseReachable === null) return {};
  if (ctx.isDatabaseReachable()) return { database: { state: 'ok', detail: 'PostgreSQL reachable' } };
  return {
    database: {
      state: 'degraded',
      detail:
        'PostgreSQL unreachable: events are spooled and acked; signing in, provisioning and other changes answer 503 until it is back',
    },
  };
}

/** Every component's state and sentence, as the health route reports them (and platform notices watch). */
export function platformComponents(ctx: DashboardContext) {
  const ingest = ctx.collector.ingest.stats();
  const collector: ComponentHealth = ctx.collector.isConnected()
    ? { state: 'ok', detail: 'subscribed to the broker' }
    : { state: 'down', detail: 'not connected to the broker; reconnecting' };
  const waiting = ingest.queuedEvents + ingest.spoolDepth;
  const store: ComponentHealth =
    ingest.lastStoreError !== null && waiting > 0
      ? {
          state: 'degraded',
          detail: `writes failing (${ingest.lastStoreError}); ${ingest.spoolDepth} events spooled, ${ingest.queuedEvents} in memory`,
        }
      : { state: 'ok', detail: `${ingest.eventsStored} events stored since start` };
  return {
    broker: ctx.brokerHealth(),
    collector,
    store,
    ...databaseHealth(ctx),
    ...spoolHealth(ctx),
    ...notificationsHealth(ctx),
  };
}
