import type { Alert } from '../domain/alerts.js';
import type { Ingest } from '../ingest.js';
import type { FleetHealth } from './fleet-health.js';
import { HealthError } from './health-error.js';
import { platformRecord, type PlatformEventBody } from './platform-record.js';

/** Who acts on an alert; taken from the request until authentication exists. */
export interface Actor {
  by: string;
}

/**
 * What crews do with alerts: acknowledge, assign, comment, resolve. Each is a platform event in
 * the history (who, when, what), folded into the alert like everything else; the answer is the
 * alert as it stands once the event is stored.
 */
export class AlertDesk {
  constructor(private readonly options: { health: FleetHealth; ingest: Ingest; now: () => number }) {}

  async acknowledge(alertId: string, input: Actor & { note?: string | undefined }): Promise<Alert> {
    const alert = this.openAlert(alertId);
    if (alert.acknowledged) {
      throw new HealthError(
        'ALERT_ALREADY_ACKNOWLEDGED',
        `alert ${alert.id} was acknowledged by ${alert.acknowledged.by} at ${new Date(alert.acknowledged.atMs).toISOString()}`,
      );
    }
    return this.record(alert, {
      type: 'alert_acknowledged',
      alertId: alert.id,
      by: input.by,
      ...(input.note ? { note: input.note } : {}),
    });
  }

  async assign(alertId: string, input: Actor & { assignee: string; note?: string | undefined }): Promise<Alert> {
    const alert = this.openAlert(alertId);
    return this.record(alert, {
      type: 'alert_assigned',
      alertId: alert.id,
      by: input.by,
      assignee: input.assignee,
      ...(input.note ? { note: input.note } : {}),
    });
  }

  /** Comments are welcome on resolved alerts too: what was found, what was replaced. */
  async comment(alertId: string, input: Actor & { text: string }): Promise<Alert> {
    const alert = this.found(alertId);
    return this.record(alert, { type: 'alert_commented', alertId: alert.id, by: input.by, text: input.text });
  }

  async resolve(alertId: string, input: Actor & { note?: string | undefined }): Promise<Alert> {
    const alert = this.openAlert(alertId);
    return this.record(alert, {
      type: 'alert_resolved',
      alertId: alert.id,
      by: input.by,
      ...(input.note ? { note: input.note } : {}),
    });
  }

  private found(alertId: string): Alert {
    const alert = this.options.health.alert(alertId);
    if (!alert) throw new HealthError('ALERT_NOT_FOUND', `no alert with id ${alertId}`);
    return alert;
  }

  private openAlert(alertId: string): Alert {
    const alert = this.found(alertId);
    if (alert.resolved)
      throw new HealthError('ALERT_RESOLVED', `alert ${alert.id} was resolved at ${new Date(alert.resolved.atMs).toISOString()}`);
    return alert;
  }

  private async record(alert: Alert, body: PlatformEventBody): Promise<Alert> {
    const nowMs = this.options.now();
    // The answer is the alert as folded, which a spooled record reaches only once stored.
    await this.options.ingest.recordPlatformEvents([platformRecord(alert.kioskId, body, { atMs: nowMs, nowMs })], {
      ifStoreDown: 'fail',
    });
    return this.options.health.alert(alert.id) ?? alert;
  }
}
