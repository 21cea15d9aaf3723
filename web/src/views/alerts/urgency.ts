import type { AlertView } from '../../live/live-store.js';

const SEVERITY_RANK = { critical: 0, major: 1, minor: 2 } as const;

/** Unacknowledged first, then the most severe, then the nearest deadline of the 24-hour promise. */
export function byUrgency(a: AlertView, b: AlertView): number {
  return (
    Number(a.state !== 'open') - Number(b.state !== 'open') ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    Date.parse(a.response.deadline) - Date.parse(b.response.deadline)
  );
}
