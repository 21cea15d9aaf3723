import type { RunningFleetHealth } from '../collector/health/start-fleet-health.js';
import { ApiError } from './api-error.js';
import type { DashboardContext } from './context.js';

/** The fleet-health services, or a 503 when this server does not run them. */
export function fleetHealthOf(ctx: DashboardContext): RunningFleetHealth {
  if (!ctx.fleetHealth) throw new ApiError(503, 'HEALTH_UNAVAILABLE', 'fleet health is not tracked by this server');
  return ctx.fleetHealth;
}
