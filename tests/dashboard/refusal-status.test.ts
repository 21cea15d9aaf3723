import { describe, expect, test } from 'vitest';
import { HealthError } from '../../collector/health/health-error.js';
import { PromiseError } from '../../collector/promises/promise-error.js';
import { ApiError } from '../../dashboard/api-error.js';
import { UserError } from '../../dashboard/auth/users.js';
import { toApiError } from '../../dashboard/refusal-status.js';
import { RegistryError } from '../../registry/kiosk-registry.js';

describe('one table from a refusal code to an HTTP status', () => {
  test.each([
    ['a health refusal of an unknown machine', new HealthError('KIOSK_NOT_FOUND', 'no kiosk'), 404, 'KIOSK_NOT_FOUND'],
    ['an alert already resolved', new HealthError('ALERT_RESOLVED', 'resolved'), 409, 'ALERT_RESOLVED'],
    ['maintenance in the past', new HealthError('MAINTENANCE_IN_PAST', 'past'), 400, 'MAINTENANCE_IN_PAST'],
    ['an unknown reservation', new PromiseError('RESERVATION_NOT_FOUND', 'no reservation'), 404, 'RESERVATION_NOT_FOUND'],
    ['a cancelled reservation', new PromiseError('RESERVATION_CANCELLED', 'cancelled'), 409, 'RESERVATION_CANCELLED'],
    ['an unknown user', new UserError('USER_NOT_FOUND', 'no user'), 404, 'USER_NOT_FOUND'],
    ['the last admin', new UserError('LAST_ADMIN', 'last'), 409, 'LAST_ADMIN'],
    ['a machine provisioned twice', new RegistryError('KIOSK_EXISTS', 'exists'), 409, 'KIOSK_EXISTS'],
  ])('%s answers its status with its own code', (_what, error, status, code) => {
    expect(toApiError(error)).toEqual(new ApiError(status, code, error.message));
  });

  test('a refusal naming a body field answers 400 INVALID_REQUEST naming the field', () => {
    const answer = toApiError(new PromiseError('KIOSK_NOT_FOUND', 'no kiosk with id X-1', 'destination.kioskId'));
    expect(answer).toEqual(new ApiError(400, 'INVALID_REQUEST', 'invalid body: destination.kioskId: no kiosk with id X-1'));
  });

  test('what is not a refusal passes through, to be logged and answered 500', () => {
    const unavailable = new RegistryError('REGISTRY_UNAVAILABLE', 'disk gone');
    const bug = new TypeError('x is undefined');
    expect(toApiError(unavailable)).toBe(unavailable);
    expect(toApiError(bug)).toBe(bug);
  });
});
