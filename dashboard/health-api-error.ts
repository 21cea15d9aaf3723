import { HealthError } from '../collector/health/health-error.js';
import type { RunningFleetHealth } from '../collector/health/start-fleet-health.js';
import { ApiError } from './api-error.js';
import type { DashboardContext } from './context.js';

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

/** The fleet-health services, or a 503 when this server does not run them. */
export function fleetHealthOf(ctx: DashboardContext): RunningFleetHealth {
  if (!ctx.fleetHealth) throw new ApiError(503, 'HEALTH_UNAVAILABLE', 'fleet health is not tracked by this server');
  return ctx.fleetHealth;
}
