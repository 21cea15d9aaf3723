import type { EventRecord } from '../../collector/store/event-store.js';

/** The receive time every fixture event carries unless a test sets its own. */
export const RECEIVED_MS = Date.parse('2024-01-01T00:00:00Z');

export const ms = (iso: string): number => Date.parse(iso);

/** An event as the collector stores it: `data` is the whole event the machine sent. */
export function eventRecord(
  id: string,
  ts: string,
  options: { kioskId?: string; type?: string; extra?: Record<string, unknown> } = {},
): EventRecord {
  const type = options.type ?? 'loan';
  return {
    id,
    kioskId: options.kioskId ?? 'CY-001',
    type,
    ts,
    tsMs: ms(ts),
    receivedMs: RECEIVED_MS,
    data: { id, ts, type, ...options.extra },
  };
}
