import Database from 'better-sqlite3';
import type { Calendar } from '../../time/calendar.js';
import { isSameEvent } from './event-identity.js';
import type { AppendResult, DeadLetterRecord, EventRecord, IdConflict, TelemetryRecord } from './event-store.js';
import { MAX_DEAD_LETTERS } from './store-error.js';

/** How long a statement waits for another connection's lock (the other thread's, a backup, a second process). */
const BUSY_TIMEOUT_MS = 5000;

/** A connection to a store file already created and migrated (see openDatabase in sqlite-event-store.ts). */
export function openConnection(file: string, synchronous: 'FULL' | 'NORMAL' | undefined): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export type SqliteWrites = ReturnType<typeof prepareWrites>;

/**
 * The store's writes, one transaction per call: all of a batch is stored, or none of it. The
 * daily and monthly rollups are updated in the same transaction as the events they count.
 */
export function prepareWrites(db: Database.Database, calendar: Calendar, maxDeadLetters = MAX_DEAD_LETTERS) {
  const statements = {
    storedEvent: db.prepare<
      [string],
      { kiosk_id: string; type: string; ts: string; ts_ms: number; received_ms: number; data: string }
    >('SELECT kiosk_id, type, ts, ts_ms, received_ms, data FROM events WHERE id = ?'),
    insertEvent: db.prepare(
      `INSERT INTO events (id, kiosk_id, type, ts, ts_ms, received_ms, data)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    addDailyCount: db.prepare(
      `INSERT INTO daily_counts (day, kiosk_id, type, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (day, kiosk_id, type) DO UPDATE SET count = count + excluded.count`,
    ),
    addMonthlyCount: db.prepare(
      `INSERT INTO monthly_counts (month, kiosk_id, type, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (month, kiosk_id, type) DO UPDATE SET count = count + excluded.count`,
    ),
    insertTelemetry: db.prepare(`INSERT INTO telemetry (kiosk_id, ts_ms, readings) VALUES (?, ?, ?)`),
    insertDeadLetter: db.prepare(
      `INSERT INTO dead_letters (received_ms, topic, kiosk_id, reason, detail, payload_excerpt)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    // seq is the rowid: this is a range delete on the primary key.
    pruneDeadLetters: db.prepare(`DELETE FROM dead_letters WHERE seq <= (SELECT max(seq) FROM dead_letters) - ?`),
  };
  const appendEvents = db.transaction((records: readonly EventRecord[]): AppendResult => {
    const inserted: string[] = [];
    const duplicates: string[] = [];
    const conflicts: IdConflict[] = [];
    const increments = new Map<string, [day: string, kioskId: string, type: string, count: number]>();
    for (const r of records) {
      const data = JSON.stringify(r.data);
      if (statements.insertEvent.run(r.id, r.kioskId, r.type, r.ts, r.tsMs, r.receivedMs, data).changes === 0) {
        // Stored already, by an earlier call or earlier in this batch: the first one wins. The
        // same event again is a redelivery; another one under its id is a conflict.
        const row = statements.storedEvent.get(r.id)!;
        const stored: EventRecord = {
          id: r.id,
          kioskId: row.kiosk_id,
          type: row.type,
          ts: row.ts,
          tsMs: row.ts_ms,
          receivedMs: row.received_ms,
          data: JSON.parse(row.data) as Record<string, unknown>,
        };
        if (isSameEvent(stored, r)) duplicates.push(r.id);
        else conflicts.push({ id: r.id, stored, refused: r });
        continue;
      }
      inserted.push(r.id);
      // Only new rows are counted, so redelivery and replay never count an event twice.
      const day = calendar.dayOf(r.tsMs);
      const key = JSON.stringify([day, r.kioskId, r.type]);
      const increment = increments.get(key);
      if (increment) increment[3] += 1;
      else increments.set(key, [day, r.kioskId, r.type, 1]);
    }
    const monthly = new Map<string, [month: string, kioskId: string, type: string, count: number]>();
    for (const [day, kioskId, type, count] of increments.values()) {
      statements.addDailyCount.run(day, kioskId, type, count);
      const key = JSON.stringify([day.slice(0, 7), kioskId, type]);
      const increment = monthly.get(key);
      if (increment) increment[3] += count;
      else monthly.set(key, [day.slice(0, 7), kioskId, type, count]);
    }
    for (const increment of monthly.values()) statements.addMonthlyCount.run(increment);
    return { inserted, duplicates, conflicts };
  });
  const appendTelemetry = db.transaction((records: readonly TelemetryRecord[]) => {
    for (const r of records) statements.insertTelemetry.run(r.kioskId, r.tsMs, JSON.stringify(r.readings));
  });
  const appendDeadLetters = db.transaction((records: readonly DeadLetterRecord[]) => {
    for (const r of records) {
      statements.insertDeadLetter.run(r.receivedMs, r.topic, r.kioskId ?? null, r.reason, r.detail, r.payloadExcerpt);
    }
    statements.pruneDeadLetters.run(maxDeadLetters);
  });
  return {
    appendEvents: (records: readonly EventRecord[]) => appendEvents.immediate(records),
    appendTelemetry: (records: readonly TelemetryRecord[]) => appendTelemetry.immediate(records),
    appendDeadLetters: (records: readonly DeadLetterRecord[]) => appendDeadLetters.immediate(records),
  };
}
