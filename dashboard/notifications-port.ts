import type { NotificationDispatcher } from '../collector/notify/dispatcher.js';

/** What the dashboard reads from and asks of the notification channels. */
export type DashboardNotifications = Pick<
  NotificationDispatcher,
  'health' | 'isSender' | 'deliveriesOf' | 'list' | 'entry' | 'sendTest' | 'giveUp' | 'retry'
> & {
  /** False without NOTIFY_CONFIG: then there are no channels, no outbox and nothing was delivered. */
  readonly isConfigured: boolean;
};

/** The notification channels as the dashboard sees them: the dispatcher, or none configured. */
export function dashboardNotificationsOf(dispatcher: NotificationDispatcher | null): DashboardNotifications {
  if (!dispatcher) return NOTIFICATIONS_OFF;
  return {
    isConfigured: true,
    health: () => dispatcher.health(),
    isSender: () => dispatcher.isSender(),
    deliveriesOf: (alertId) => dispatcher.deliveriesOf(alertId),
    list: (query) => dispatcher.list(query),
    entry: (id) => dispatcher.entry(id),
    sendTest: (channel, requestedBy) => dispatcher.sendTest(channel, requestedBy),
    giveUp: (id, by) => dispatcher.giveUp(id, by),
    retry: (id, by) => dispatcher.retry(id, by),
  };
}

/** No channels configured: nothing to show, nothing delivered, nothing to act on. */
export const NOTIFICATIONS_OFF: DashboardNotifications = Object.freeze({
  isConfigured: false,
  health: () => [],
  isSender: () => false,
  deliveriesOf: async () => [],
  list: async () => [],
  entry: async () => undefined,
  sendTest: async () => undefined,
  giveUp: async () => false,
  retry: async () => false,
});
