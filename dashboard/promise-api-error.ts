import { PromiseError } from '../collector/promises/promise-error.js';
import { ApiError } from './api-error.js';

const STATUS: Record<PromiseError['code'], number> = {
  KIOSK_NOT_FOUND: 400,
  INVALID_TIME: 400,
  RESERVATION_NOT_FOUND: 404,
  RESERVATION_CONFLICT: 409,
  RESERVATION_CANCELLED: 409,
  RESERVATION_NOT_DELIVERED: 409,
};

/** What a service-promise refusal answers: a refused field is a 400 naming it, like a schema error. */
export function toApiError(error: unknown): unknown {
  if (!(error instanceof PromiseError)) return error;
  if (error.field !== undefined) return new ApiError(400, 'INVALID_REQUEST', `invalid body: ${error.field}: ${error.message}`);
  return new ApiError(STATUS[error.code], error.code, error.message);
}
