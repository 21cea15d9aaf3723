import { describe, expect, test } from 'vitest';
import type { EventRecord } from '../../../collector/store/event-store.js';
import { fleetEventOf, healthEventOf } from '../../../collector/store/stored-event.js';

const ts = '2026-03-01T08:00:00.000Z';
const record = (type: string, data: Record<string, unknown> = { id: 'e1', ts, type }): EventRecord => ({
  id: 'e1',
  kioskId: 'K1',
  type,
  ts,
  tsMs: Date.parse(ts),
  receivedMs: Date.parse(ts),
  data,
});

describe('a stored record is typed where it is read, by its shape, without a cast', () => {
  test.each<[string, EventRecord, 'fleet' | null, 'health' | null]>([
    ['a loan is a fleet event, not a health event', record('loan'), 'fleet', null],
    ['a status is both', record('status', { id: 'e1', ts, type: 'status', state: 'online', sentTs: ts }), 'fleet', 'health'],
    ["a platform marker is health's, not the live fold's", record('kiosk_silent'), null, 'health'],
    ['data whose type is not the record’s is neither', record('loan', { id: 'e1', ts, type: 'fault' }), null, null],
    ['data without an id is neither', record('loan', { ts, type: 'loan' }), null, null],
    ['data without a time is neither', record('fault', { id: 'e1', type: 'fault' }), null, null],
    ['a type nobody reads is neither', record('telemetry', { id: 'e1', ts, type: 'telemetry' }), null, null],
  ])('%s', (_name, stored, fleet, health) => {
    expect(fleetEventOf(stored) === stored.data ? 'fleet' : fleetEventOf(stored)).toBe(fleet);
    expect(healthEventOf(stored) === stored.data ? 'health' : healthEventOf(stored)).toBe(health);
  });
});
