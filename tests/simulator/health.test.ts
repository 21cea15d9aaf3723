import { describe, expect, test } from 'vitest';
import type { KioskEvent } from '../../protocol/events.js';
import { telemetrySchema } from '../../protocol/telemetry.js';
import { applyActivity, createHealthState, readTelemetry, type HealthState } from '../../simulator/health.js';
import { createRng } from '../../simulator/random.js';

const event = (type: 'loan' | 'return', seq: number): KioskEvent => ({
  id: `K-b-${seq}`,
  ts: '2023-06-01T12:00:00.000+08:00',
  type,
});
const events = (type: 'loan' | 'return', count: number) => Array.from({ length: count }, (_, i) => event(type, i));
const state: HealthState = {
  capacityBooks: 400,
  booksAvailable: 200,
  binFillPercent: 10,
  paperPercent: 50,
  binEmptyAtPercent: 80,
  paperRefillAtPercent: 10,
};

describe('machine health', () => {
  test.each([
    {
      case: 'loans take books and receipt paper',
      type: 'loan' as const,
      count: 8,
      expected: { booksAvailable: 192, paperPercent: 48, binFillPercent: 10 },
    },
    {
      case: 'returns fill the bin and the shelves',
      type: 'return' as const,
      count: 20,
      expected: { booksAvailable: 220, binFillPercent: 30, paperPercent: 50 },
    },
    {
      case: 'the crew empties the bin once it reaches its threshold',
      type: 'return' as const,
      count: 75,
      expected: { binFillPercent: 5, booksAvailable: 275 },
    },
    {
      case: 'the crew refills the paper when it runs low',
      type: 'loan' as const,
      count: 160,
      expected: { paperPercent: 100, booksAvailable: 40 },
    },
    { case: 'books available never go below zero', type: 'loan' as const, count: 500, expected: { booksAvailable: 0 } },
    { case: 'books available never exceed the capacity', type: 'return' as const, count: 500, expected: { booksAvailable: 400 } },
  ])('$case', ({ type, count, expected }) => {
    expect(applyActivity(state, events(type, count), createRng(1))).toMatchObject(expected);
  });

  test('telemetry readings are valid on the wire and carry the local timestamp', () => {
    const rng = createRng(3);
    const health = createHealthState(336, rng);
    for (const hour of ['03', '15']) {
      const reading = readTelemetry(health, `2023-06-01T${hour}:00:00.000+08:00`, rng);
      expect(telemetrySchema.parse(reading)).toEqual(reading);
      expect(reading.booksAvailable).toBeLessThanOrEqual(336);
    }
  });
});
