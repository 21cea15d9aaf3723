import { HealthError, type HealthErrorCode } from '../collector/health/health-error.js';
import { PromiseError, type PromiseErrorCode } from '../collector/promises/promise-error.js';
import { RegistryError } from '../registry/kiosk-registry.js';
import { ApiError } from './api-error.js';
import { UserError } from './auth/users.js';

/** Every stable code a service may refuse a request with, across the services the API calls. */
type RefusalCode = HealthErrorCode | PromiseErrorCode | UserError['code'] | 'KIOSK_EXISTS';

/**
 * The one table from a refusal's stable code to the HTTP status it answers. A code means the same
 * wherever it is raised: `KIOSK_NOT_FOUND` is a 404 for a machine named in the path; a machine named
 * in a body is a refused field, answered as a 400 by `toApiError` before this table is read.
 */
export const STATUS_OF_REFUSAL: Readonly<Record<RefusalCode, number>> = Object.freeze({
  KIOSK_NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404,
  RESERVATION_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  INVALID_TIME: 400,
  MAINTENANCE_IN_PAST: 400,
  ALERT_RESOLVED: 409,
  ALERT_ALREADY_ACKNOWLEDGED: 409,
  RESERVATION_CONFLICT: 409,
  RESERVATION_CANCELLED: 409,
  RESERVATION_NOT_DELIVERED: 409,
  USER_EXISTS: 409,
  LAST_ADMIN: 409,
  KIOSK_EXISTS: 409,
  // Not the request's fault and not for ever: the same command succeeds once Redis is back.
  CLUSTER_MESSAGING_DOWN: 503,
});

const isRefusalCode = (code: string): code is RefusalCode => Object.hasOwn(STATUS_OF_REFUSAL, code);

/**
 * What a service's refusal answers, with its stable code; anything else is returned as it is (an
 * unexpected failure: the error handler logs it and answers 500). A refusal naming an input field
 * answers a 400 naming it, like a schema error. A registry that cannot be read is not a refusal.
 */
export function toApiError(error: unknown): unknown {
  if (error instanceof PromiseError && error.field !== undefined) {
    return new ApiError(400, 'INVALID_REQUEST', `invalid body: ${error.field}: ${error.message}`);
  }
  const isRefusal =
    error instanceof HealthError ||
    error instanceof PromiseError ||
    error instanceof UserError ||
    (error instanceof RegistryError && error.code === 'KIOSK_EXISTS');
  if (!isRefusal || !isRefusalCode(error.code)) return error;
  return new ApiError(STATUS_OF_REFUSAL[error.code], error.code, error.message);
}
