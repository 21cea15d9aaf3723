/** Stable codes of what an operator's or crew member's request may be refused for. */
export type HealthErrorCode =
  | 'ALERT_NOT_FOUND'
  | 'ALERT_RESOLVED'
  | 'ALERT_ALREADY_ACKNOWLEDGED'
  | 'KIOSK_NOT_FOUND'
  | 'MAINTENANCE_IN_PAST'
  // One node of several, its link to the others (Redis) down, the machine not connected to it.
  | 'CLUSTER_MESSAGING_DOWN';

export class HealthError extends Error {
  constructor(
    readonly code: HealthErrorCode,
    message: string,
  ) {
    super(message);
  }
}
