import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REFERENCE_DIR, REFERENCE_MACHINE_COUNT, retentionPolicyOf } from '../../../platform/index.js';
import { retentionCutoffs } from '../../../collector/domain/retention-policy.js';
import type { DeadLetterRecord, EventRecord, TelemetryRecord } from '../../../collector/store/event-store.js';
import { createSqliteEventStore, type SqliteEventStore } from '../../../collector/store/sqlite-event-store.js';
import { parseConfig } from '../../../config/config.js';
import type { KioskEvent } from '../../../protocol/events.js';
import { type ActivityState, createActivityState, generateActivity } from '../../../simulator/generate.js';
import { applyActivity, createHealthState, type HealthState, readTelemetry } from '../../../simulator/health.js';
import { loadCirculationProfile } from '../../../simulator/profile.js';
import { createRng } from '../../../simulator/random.js';

/**
 * The disk budget of docs/benchmarks.md ("Disk use"): the reference fleet of 70 machines, one
 * telemetry reading a minute each, stays under 1 GB in its first year at the default retention.
 * What SQLite keeps beside the files (WALs, up to ~40 MB for the store) is a fixed part of it.
 */
const FLEET_BUDGET_BYTES = 1_000_000_000;
const FIXED_BYTES = 64 * 1024 * 1024;
const MACHINES = 2;
const TELEMETRY_EVERY_MS = 60_000;
/** Refused messages a machine causes a day: a generous guess (a healthy fleet causes almost none). */
const DEAD_LETTERS_PER_MACHINE_DAY = 20;
const DAY_MS = 86_400_000;
const TIME_ZONE = 'Asia/Shanghai';
const START_MS = Date.parse('2025-01-01T00:00:00+08:00');

function toRecord(kioskId: string, event: KioskEvent): EventRecord {
  const tsMs = Date.parse(event.ts);
  return { id: event.id, kioskId, type: event.type, ts: event.ts, tsMs, receivedMs: tsMs, data: event };
}

describe('disk use of a simulated year at the default retention', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-disk-budget-'));
    // NORMAL: the same bytes on disk, without an fsync per commit (this test measures space, not durability).
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: TIME_ZONE, synchronous: 'NORMAL' });
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test(`${MACHINES} machines for a year, scaled to the reference fleet, stay under 1 GB`, async () => {
    const policy = retentionPolicyOf(parseConfig({}));
    const profile = loadCirculationProfile(
      join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
      join(REFERENCE_DIR, 'fault-catalogue.csv'),
      REFERENCE_MACHINE_COUNT,
    );
    const rng = createRng(22);
    const machines = Array.from({ length: MACHINES }, (_, i) => ({
      id: `CY-${String(i + 1).padStart(3, '0')}`,
      activity: createActivityState(`b${i}`) as ActivityState,
      health: createHealthState(500, rng) as HealthState,
    }));
    let events = 0;
    for (let day = 0; day < 365; day++) {
      const dayStartMs = START_MS + day * DAY_MS;
      for (const machine of machines) {
        const telemetry: TelemetryRecord[] = [];
        const records: EventRecord[] = [];
        for (let hourMs = dayStartMs; hourMs < dayStartMs + DAY_MS; hourMs += 3_600_000) {
          const hour = generateActivity(profile, machine.id, hourMs, hourMs + 3_600_000, rng, machine.activity);
          machine.activity = hour.state;
          machine.health = applyActivity(machine.health, hour.events, rng);
          records.push(...hour.events.map((e) => toRecord(machine.id, e)));
          for (let atMs = hourMs; atMs < hourMs + 3_600_000; atMs += TELEMETRY_EVERY_MS) {
            const { ts: _ts, ...readings } = readTelemetry(machine.health, new Date(atMs).toISOString(), rng);
            telemetry.push({ kioskId: machine.id, tsMs: atMs, readings: readings as Record<string, number> });
          }
        }
        const deadLetters: DeadLetterRecord[] = Array.from({ length: DEAD_LETTERS_PER_MACHINE_DAY }, (_, i) => ({
          receivedMs: dayStartMs + i * 60_000,
          topic: `kiosks/${machine.id}/events`,
          kioskId: machine.id,
          reason: 'schema',
          detail: 'events[0].type: Invalid discriminator value',
          payloadExcerpt: '{"id":"x","ts":"2025-01-01T10:00:00+08:00","type":"lend"}',
        }));
        await store.append(records);
        await store.appendTelemetry(telemetry);
        await store.appendDeadLetters(deadLetters);
        events += records.length;
      }
      await store.applyRetention(retentionCutoffs(policy, dayStartMs + DAY_MS));
    }
    await store.close();
    const file = join(dir, 'events.sqlite');
    const bytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    const perMachineYear = bytes / MACHINES;
    const fleetYear = perMachineYear * REFERENCE_MACHINE_COUNT + FIXED_BYTES;
    console.info('disk use, a simulated year:', {
      machines: MACHINES,
      eventsPerMachine: Math.round(events / MACHINES),
      bytesPerMachineYear: Math.round(perMachineYear),
      referenceFleetYearBytes: Math.round(fleetYear),
    });
    expect(events / MACHINES).toBeGreaterThan(2_000);
    expect(fleetYear).toBeLessThan(FLEET_BUDGET_BYTES);
  }, 300_000);
});
