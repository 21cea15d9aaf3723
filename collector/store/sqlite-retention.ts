import type Database from 'better-sqlite3';
import type { RetentionCutoffs } from '../domain/retention-policy.js';

/** What one bounded step of retention did; `isDone` once nothing is left to do for these cutoffs. */
export interface RetentionStep {
  telemetryDownsampled: number;
  telemetryHourlyDeleted: number;
  deadLettersDeleted: number;
  eventsDeleted: number;
  isDone: boolean;
}

const HOUR_MS = 3_600_000;
/** Rows one step deletes at most: a short transaction, so appends queued behind it wait little. */
const STEP_ROWS = 5_000;

/** A reading's running mean over an hour: the sum and how many samples carried it. */
type Sums = Map<string, { sum: number; count: number }>;

/**
 * Means of each reading over the samples that carry it; merged with an hour folded earlier (a
 * late reading), weighted by that hour's sample count.
 */
export function foldHour(
  samples: readonly Record<string, number>[],
  earlier?: { samples: number; readings: Record<string, number> },
): { samples: number; readings: Record<string, number> } {
  const sums: Sums = new Map();
  const add = (key: string, value: number, weight: number) => {
    const entry = sums.get(key) ?? { sum: 0, count: 0 };
    entry.sum += value * weight;
    entry.count += weight;
    sums.set(key, entry);
  };
  for (const sample of samples) for (const [key, value] of Object.entries(sample)) add(key, value, 1);
  if (earlier) for (const [key, value] of Object.entries(earlier.readings)) add(key, value, earlier.samples);
  const readings: Record<string, number> = {};
  for (const [key, { sum, count }] of sums) readings[key] = Math.round((sum / count) * 1000) / 1000;
  return { samples: samples.length + (earlier?.samples ?? 0), readings };
}

/**
 * Retention on the writer's connection, one bounded transaction per call: the oldest raw hours
 * folded into their hourly means, or up to STEP_ROWS of the oldest records of one kind deleted.
 * Daily and monthly counts are never touched: the figures of deleted events stay.
 */
export function prepareRetention(db: Database.Database) {
  const statements = {
    oldestRaw: db.prepare<[], number | null>('SELECT min(ts_ms) FROM telemetry').pluck(),
    rawOfHour: db.prepare<[number, number], { kiosk_id: string; readings: string }>(
      'SELECT kiosk_id, readings FROM telemetry WHERE ts_ms >= ? AND ts_ms < ?',
    ),
    hourly: db.prepare<[string, number], { samples: number; readings: string }>(
      'SELECT samples, readings FROM telemetry_hourly WHERE kiosk_id = ? AND hour_ms = ?',
    ),
    upsertHourly: db.prepare(
      `INSERT INTO telemetry_hourly (kiosk_id, hour_ms, samples, readings) VALUES (?, ?, ?, ?)
       ON CONFLICT (kiosk_id, hour_ms) DO UPDATE SET samples = excluded.samples, readings = excluded.readings`,
    ),
    deleteRawHour: db.prepare('DELETE FROM telemetry WHERE ts_ms >= ? AND ts_ms < ?'),
    deleteHourly: db.prepare(
      `DELETE FROM telemetry_hourly WHERE (kiosk_id, hour_ms) IN
         (SELECT kiosk_id, hour_ms FROM telemetry_hourly WHERE hour_ms < ? ORDER BY hour_ms LIMIT ${STEP_ROWS})`,
    ),
    // Dead letters are numbered in arrival order: the oldest are the first by seq, no index needed.
    deleteDeadLetters: db.prepare(
      `DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM dead_letters ORDER BY seq LIMIT ${STEP_ROWS}) AND received_ms < ?`,
    ),
    deleteEvents: db.prepare(
      `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts_ms < ? ORDER BY ts_ms LIMIT ${STEP_ROWS})`,
    ),
  };

  const downsampleOldestHour = (beforeMs: number): number => {
    const oldest = statements.oldestRaw.get();
    if (oldest === null || oldest === undefined || oldest >= beforeMs) return 0;
    const hourMs = Math.floor(oldest / HOUR_MS) * HOUR_MS;
    const byKiosk = new Map<string, Record<string, number>[]>();
    const rows = statements.rawOfHour.all(hourMs, hourMs + HOUR_MS);
    for (const row of rows) {
      const list = byKiosk.get(row.kiosk_id) ?? [];
      list.push(JSON.parse(row.readings) as Record<string, number>);
      byKiosk.set(row.kiosk_id, list);
    }
    for (const [kioskId, samples] of byKiosk) {
      const earlier = statements.hourly.get(kioskId, hourMs);
      const folded = foldHour(
        samples,
        earlier && { samples: earlier.samples, readings: JSON.parse(earlier.readings) as Record<string, number> },
      );
      statements.upsertHourly.run(kioskId, hourMs, folded.samples, JSON.stringify(folded.readings));
    }
    statements.deleteRawHour.run(hourMs, hourMs + HOUR_MS);
    return rows.length;
  };

  const step = db.transaction((cutoffs: RetentionCutoffs): RetentionStep => {
    const result = { telemetryDownsampled: 0, telemetryHourlyDeleted: 0, deadLettersDeleted: 0, eventsDeleted: 0, isDone: false };
    // One kind per step, oldest first; the next step moves to the next kind once one is done.
    // Whole hours, oldest first, until about STEP_ROWS readings are folded.
    const rawBeforeMs = Math.floor(cutoffs.telemetryRawBeforeMs / HOUR_MS) * HOUR_MS;
    for (let folded = -1; folded !== 0 && result.telemetryDownsampled < STEP_ROWS;) {
      folded = downsampleOldestHour(rawBeforeMs);
      result.telemetryDownsampled += folded;
    }
    if (result.telemetryDownsampled > 0) return result;
    if (cutoffs.telemetryHourlyBeforeMs !== null) {
      result.telemetryHourlyDeleted = statements.deleteHourly.run(cutoffs.telemetryHourlyBeforeMs).changes;
      if (result.telemetryHourlyDeleted > 0) return result;
    }
    if (cutoffs.deadLettersBeforeMs !== null) {
      result.deadLettersDeleted = statements.deleteDeadLetters.run(cutoffs.deadLettersBeforeMs).changes;
      if (result.deadLettersDeleted > 0) return result;
    }
    if (cutoffs.eventsBeforeMs !== null) {
      result.eventsDeleted = statements.deleteEvents.run(cutoffs.eventsBeforeMs).changes;
      if (result.eventsDeleted > 0) return result;
    }
    return { ...result, isDone: true };
  });
  return { step: (cutoffs: RetentionCutoffs) => step.immediate(cutoffs) };
}
