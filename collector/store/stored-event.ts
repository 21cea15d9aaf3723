import type { FleetEvent } from '../domain/fleet-event.js';
import type { HealthEvent } from '../domain/health-entry.js';
import type { EventRecord } from './event-store.js';

/*
 * The typed event of a stored record, said in one place. A record's `data` was checked by its
 * event's schema when it was received (decode.ts) or recorded (platform-record.ts), and every store
 * returns it as written; the record's `type` is its data's `type`. Typing `EventRecord.data` as one
 * union for every writer and reader is the fuller fix: reservation events, hostile-input tests and
 * the benchmarks still build records from loose objects, so it is left for its own change.
 */

/** A status, machine or fault event, as the live fleet folds it. */
export const fleetEventOf = (record: EventRecord): FleetEvent => record.data as FleetEvent;

/** An event of a machine's health history: callers have kept only `HEALTH_EVENT_TYPES`. */
export const healthEventOf = (record: EventRecord): HealthEvent => record.data as HealthEvent;
