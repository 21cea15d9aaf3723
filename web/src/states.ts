import type { KioskView } from './live/live-store.js';
import { PALETTE, token } from './palette.js';

export type ServiceState = KioskView['serviceState'];

/** Display order (worst first) and colours; text on each colour meets WCAG AA contrast. */
export const STATE_ORDER: readonly ServiceState[] = [
  'out_of_service',
  'offline',
  'degraded',
  'maintenance',
  'paused',
  'withdrawn',
  'reserve',
  'unknown',
  'in_service',
];

const state = (name: string, text: string) => ({ background: token(`--state-${name}`), text });

export const STATE_COLOURS: Record<ServiceState, { background: string; text: string }> = {
  in_service: state('in-service', PALETTE.onColour),
  degraded: state('degraded', PALETTE.onStateLight),
  out_of_service: state('out-of-service', PALETTE.onColour),
  offline: state('offline', PALETTE.onColour),
  paused: state('paused', PALETTE.onColour),
  maintenance: state('maintenance', PALETTE.onColour),
  withdrawn: state('withdrawn', PALETTE.onColour),
  reserve: state('reserve', PALETTE.onStateLight),
  unknown: state('unknown', PALETTE.onStateLight),
};
