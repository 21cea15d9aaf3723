import { describe, expect, test } from 'vitest';
import { decodeMessage, DEFAULT_DECODE_LIMITS } from '../../collector/decode.js';
import { createTopics, MAX_EVENTS_PER_MESSAGE } from '../../protocol/index.js';

const topics = createTopics('kiosks');
const receivedMs = Date.parse('2026-11-22T00:00:00Z');
const at = (offsetMs: number) => new Date(receivedMs + offsetMs).toISOString();
const loan = (id: string, ts = at(-1000)) => ({ id, ts, type: 'loan' });
const decode = (topic: string, payload: unknown) =>
  decodeMessage(topics, topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), receivedMs);

describe('decoding one MQTT message at the edge', () => {
  test.each([
    ['a topic outside the root', 'other/K1/events', loan('a'), 'unknown_topic'],
    ['an unknown channel', 'kiosks/K1/logs', loan('a'), 'unknown_topic'],
    ['an extra topic level', 'kiosks/K1/events/x', loan('a'), 'unknown_topic'],
    ['a bad kiosk id', 'kiosks/K%1/events', loan('a'), 'unknown_topic'],
    ['text that is not JSON', 'kiosks/K1/events', '{"id":', 'invalid_json'],
    ['an empty array', 'kiosks/K1/events', [], 'too_many_events'],
    [
      'too many events in one message',
      'kiosks/K1/events',
      Array.from({ length: MAX_EVENTS_PER_MESSAGE + 1 }, (_, i) => loan(`e${i}`)),
      'too_many_events',
    ],
    ['a status without state', 'kiosks/K1/status', { ts: at(0) }, 'schema'],
    ['a status from 1970', 'kiosks/K1/status', { state: 'online', ts: '1970-01-01T00:00:00Z' }, 'timestamp_out_of_range'],
    ['telemetry with a string reading', 'kiosks/K1/telemetry', { ts: at(0), temperatureC: 'hot' }, 'schema'],
    ['telemetry with an unknown reading', 'kiosks/K1/telemetry', { ts: at(0), humidity: 40 }, 'schema'],
  ])('%s is refused as %s', (_name, topic, payload, reason) => {
    expect(decode(topic, payload)).toMatchObject({ kind: 'dead', reason });
  });

  test('a payload over the size limit is refused before it is parsed', () => {
    const payload = Buffer.alloc(DEFAULT_DECODE_LIMITS.maxPayloadBytes + 1, 0x20);
    expect(decodeMessage(topics, 'kiosks/K1/events', payload, receivedMs)).toMatchObject({
      kind: 'dead',
      reason: 'payload_too_large',
      kioskId: 'K1',
    });
  });

  test.each([
    ['a field a reader could be identified by', { ...loan('r1'), readerId: 'R-42' }, 'schema', 'r1'],
    ['an unknown type', { id: 'u1', ts: at(0), type: 'teleport' }, 'unknown_event_type', 'u1'],
    ['a missing id', { ts: at(0), type: 'loan' }, 'schema', undefined],
    ['a ts without offset', { id: 'o1', ts: '2026-11-22T08:00:00', type: 'loan' }, 'schema', 'o1'],
    [
      'a ts more than the allowed skew ahead',
      loan('f1', at(DEFAULT_DECODE_LIMITS.maxFutureSkewMs + 1000)),
      'timestamp_out_of_range',
      'f1',
    ],
    [
      'a fault without severity',
      { id: 'x1', ts: at(0), type: 'fault', faultId: 'f', component: 'door', code: 'DOOR_OPEN' },
      'schema',
      'x1',
    ],
  ])(
    'in a batch, an event with %s is rejected alone (as %s), with its id so the machine can drop it',
    (_name, bad, reason, id) => {
      const decoded = decode('kiosks/K1/events', [loan('g1'), bad, loan('g2')]);
      expect(decoded.kind).toBe('events');
      if (decoded.kind !== 'events') return;
      expect(decoded.records.map((r) => r.id)).toEqual(['g1', 'g2']);
      expect(decoded.rejected).toEqual([expect.objectContaining({ reason, ...(id ? { id } : {}) })]);
      if (!id) expect(decoded.rejected[0]!.id).toBeUndefined();
    },
  );

  test('a valid event becomes a record stamped with the machine time and the receive time', () => {
    const decoded = decode('kiosks/K1/events', { id: 'e1', ts: '2026-11-22T07:59:00+08:00', type: 'return', itemId: 'B1' });
    expect(decoded).toMatchObject({
      kind: 'events',
      rejected: [],
      records: [
        {
          id: 'e1',
          kioskId: 'K1',
          type: 'return',
          ts: '2026-11-22T07:59:00+08:00',
          tsMs: Date.parse('2026-11-21T23:59:00Z'),
          receivedMs,
        },
      ],
    });
  });

  test('an offline status (a Last Will, composed at connect) takes effect when it is received', () => {
    const willTs = at(-3_600_000);
    const decoded = decode('kiosks/K1/status', { state: 'offline', ts: willTs, bootId: 'b1' });
    expect(decoded).toMatchObject({ kind: 'status', record: { tsMs: receivedMs, data: { sentTs: willTs, state: 'offline' } } });
    const again = decode('kiosks/K1/status', { state: 'offline', ts: willTs, bootId: 'b1' });
    expect(again.kind === 'status' && decoded.kind === 'status' && again.record.id === decoded.record.id).toBe(true);
  });

  test('an online status takes effect at its own time', () => {
    const ts = at(-5000);
    expect(decode('kiosks/K1/status', { state: 'online', ts, bootId: 'b1' })).toMatchObject({
      kind: 'status',
      record: { tsMs: Date.parse(ts) },
    });
  });

  test('commands and acks (the platform’s own publishes) are ignored, not dead-lettered', () => {
    expect(decode('kiosks/K1/acks', { stored: [] })).toEqual({ kind: 'ignored' });
    expect(decode('kiosks/K1/commands', 'not even json')).toEqual({ kind: 'ignored' });
  });
});
