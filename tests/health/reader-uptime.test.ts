import { type EventEmitter, once } from 'node:events';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { platformRecord } from '../../collector/health/platform-record.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { status } from './health-client.js';

const HOUR_MS = 3_600_000;

interface Reader {
  expectedMs: number;
  lendingMs: number;
  returnsOnlyMs: number;
  readerAvailabilityRatio: number | null;
}
interface UptimeBody {
  fleet: { uptimeRatio: number | null; reader: Reader };
  kiosks: { kioskId: string; uptimeRatio: number | null; reader: Reader }[];
}
interface FleetBody {
  availability: { today: number | null };
  readerAvailability: { today: number | null; month: number | null };
  readerNow: { lending: number; returns_only: number; closed: number };
}

/**
 * Three machines online for two hours: one lending, one whose shelf transport jammed an hour ago
 * (out of service technically, returns only for readers), one the lending check found not lending
 * since an hour ago (in service technically, closed for readers).
 */
describe('reader-side availability beside the technical one', () => {
  let t: TestPlatform;
  const startMs = Date.now() - 2 * HOUR_MS;
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    t = await startTestPlatform();
    const clients = new Map<string, MqttClient>();
    for (const id of ['RA-LEND', 'RA-SHELF', 'RA-QUIET']) {
      const client = await t.connectKiosk(id, await t.provision(id));
      clients.set(id, client);
      await client.publishAsync(`kiosks/${id}/status`, status('online', `${id}-b1`, iso(startMs)), { qos: 1, retain: true });
    }
    const shelf = clients.get('RA-SHELF')!;
    await shelf.subscribeAsync('kiosks/RA-SHELF/acks', { qos: 1 });
    const acked = once(shelf as unknown as EventEmitter, 'message');
    const jam = { id: 'jam-1', ts: iso(startMs + HOUR_MS), type: 'fault', faultId: 'jam-1', component: 'shelf_mechanism' };
    await shelf.publishAsync('kiosks/RA-SHELF/events', JSON.stringify({ ...jam, code: 'SHELF_JAM', severity: 'critical' }), {
      qos: 1,
    });
    await acked;
    const health = t.platform.fleetHealth!.health;
    await vi.waitFor(() => expect(health.serviceState('RA-QUIET').state).toBe('in_service'));
    const nowMs = Date.now();
    await t.platform.collector.ingest.recordPlatformEvents([
      platformRecord(
        'RA-QUIET',
        { type: 'kiosk_not_lending', since: iso(startMs + HOUR_MS), expected: 9, seen: 0, probability: 1e-5 },
        { atMs: nowMs, nowMs },
      ),
    ]);
    await vi.waitFor(() => expect(health.notLending('RA-QUIET')).not.toBeNull());
  });
  afterAll(async () => t?.stop());

  test('the uptime figures give reader availability: time lending over the time expected in service', async () => {
    const { body } = await t.get<UptimeBody>('/api/v1/uptime?window=24h&kiosk=RA-LEND,RA-QUIET,RA-SHELF');
    const shelf = body.kiosks.find((k) => k.kioskId === 'RA-SHELF')!;
    // The jam stops lending (out of service), but readers could still return books there.
    expect(shelf.uptimeRatio).toBeCloseTo(0.5, 1);
    expect(shelf.reader.readerAvailabilityRatio).toBeCloseTo(0.5, 1);
    expect(shelf.reader.returnsOnlyMs).toBeGreaterThan(0.9 * 3_600_000);
    const lend = body.kiosks.find((k) => k.kioskId === 'RA-LEND')!;
    const quiet = body.kiosks.find((k) => k.kioskId === 'RA-QUIET')!;
    expect(lend.uptimeRatio).toBe(1);
    expect(lend.reader.readerAvailabilityRatio).toBe(1);
    // Technically in service all along; readers could not borrow since the evidence began, an hour in.
    expect(quiet.uptimeRatio).toBe(1);
    expect(quiet.reader.readerAvailabilityRatio).toBeCloseTo(0.5, 1);
    expect(body.fleet.reader.expectedMs).toBe(lend.reader.expectedMs + quiet.reader.expectedMs + shelf.reader.expectedMs);
    expect(body.fleet.reader.readerAvailabilityRatio).toBeCloseTo(2 / 3, 1);
    expect(body.fleet.reader.readerAvailabilityRatio!).toBeLessThan(body.fleet.uptimeRatio!);
  });

  test('the fleet overview counts machines lending now, returns only and closed, and gives reader availability today', async () => {
    const { body } = await t.get<FleetBody>('/api/v1/fleet');
    expect(body.readerNow).toEqual({ lending: 1, returns_only: 1, closed: 1 });
    expect(body.readerAvailability.today).not.toBeNull();
    expect(body.readerAvailability.today!).toBeLessThan(body.availability.today!);
  });
});
