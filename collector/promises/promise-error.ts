/** Stable codes of what the service-promise services refuse; the API maps them to statuses. */
export type PromiseErrorCode =
  | 'KIOSK_NOT_FOUND'
  | 'INVALID_TIME'
  | 'RESERVATION_NOT_FOUND'
  | 'RESERVATION_CONFLICT'
  | 'RESERVATION_CANCELLED'
  | 'RESERVATION_NOT_DELIVERED';

export class PromiseError extends Error {
  constructor(
    readonly code: PromiseErrorCode,
    message: string,
    /** The input field at fault, when there is one (`destination.kioskId`). */
    readonly field?: string,
  ) {
    super(message);
  }
}
