import type { KioskView } from './live/live-store.js';

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

export const STATE_COLOURS: Record<ServiceState, { background: string; text: string }> = {
  in_service: { background: '#1b7a36', text: '#ffffff' },
  degraded: { background: '#f2b705', text: '#1a1a1a' },
  out_of_service: { background: '#c0262d', text: '#ffffff' },
  offline: { background: '#4a4f57', text: '#ffffff' },
  paused: { background: '#6b3fa0', text: '#ffffff' },
  maintenance: { background: '#1f5fbf', text: '#ffffff' },
  withdrawn: { background: '#7a4a1e', text: '#ffffff' },
  reserve: { background: '#b8c2cc', text: '#1a1a1a' },
  unknown: { background: '#dde3e8', text: '#1a1a1a' },
};
