import { HealthError } from '../collector/health/health-error.js';
import { ApiError } from './api-error.js';

const STATUS: Record<HealthError['code'], number> = {
  ALERT_NOT_FOUND: 404,
  KIOSK_NOT_FOUND: 404,
  ALERT_RESOLVED: 409,
  ALERT_ALREADY_ACKNOWLEDGED: 409,
  MAINTENANCE_IN_PAST: 400,
};

/** What a fleet-health refusal answers, with its stable code. */
export function toHealthApiError(error: unknown): unknown {
  return error instanceof HealthError ? new ApiError(STATUS[error.code], error.code, error.message) : error;
}
