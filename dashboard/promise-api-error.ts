import { ApiError } from './api-error.js';

export function unavailable(what: string): ApiError {
  return new ApiError(503, 'PROMISES_UNAVAILABLE', `${what} are not tracked by this server`);
}
