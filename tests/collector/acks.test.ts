import { describe, expect, test } from 'vitest';
import { acksOf } from '../../collector/acks.js';
import type { DecodeRejection } from '../../collector/decode.js';
import type { EventRecord, IdConflict } from '../../collector/store/event-store.js';

const record = (kioskId: string, id: string, type = 'loan'): EventRecord => ({
  id,
  kioskId,
  type,
  ts: '2026-03-01T08:00:00Z',
  tsMs: Date.parse('2026-03-01T08:00:00Z'),
  receivedMs: Date.parse('2026-03-01T08:00:01Z'),
  data: { id, type, ts: '2026-03-01T08:00:00Z' },
});
const conflict = (r: EventRecord): IdConflict => ({ id: r.id, stored: { ...r, type: 'return' }, refused: r });
const rejected = (id: string, detail = 'ts is not a date'): DecodeRejection => ({ id, reason: 'schema', detail });
const ackOf = (acks: ReturnType<typeof acksOf>) => Object.fromEntries(acks);

describe('acksOf: what a durable batch answers each machine', () => {
  test.each<[string, EventRecord[], Map<string, DecodeRejection[]>, IdConflict[], Record<string, unknown>]>([
    ['an empty batch answers nobody', [], new Map(), [], {}],
    [
      'each machine gets its own events as stored, in arrival order',
      [record('A', 'a1'), record('B', 'b1'), record('A', 'a2')],
      new Map(),
      [],
      { A: { stored: ['a1', 'a2'], rejected: [] }, B: { stored: ['b1'], rejected: [] } },
    ],
    [
      'an event refused while decoding is rejected with its reason, with no event stored',
      [],
      new Map([['A', [rejected('a9')]]]),
      [],
      { A: { stored: [], rejected: [{ id: 'a9', reason: 'schema: ts is not a date' }] } },
    ],
    [
      'an id stored already with another content is rejected once, even when repeated in the batch',
      [record('A', 'a1'), record('A', 'a1')],
      new Map(),
      [conflict(record('A', 'a1'))],
      {
        A: {
          stored: [],
          rejected: [
            { id: 'a1', reason: 'id_conflict: id a1 is stored already with another content; change the id and send it again' },
          ],
        },
      },
    ],
  ])('%s', (_name, records, rejectedByKiosk, conflicts, expected) => {
    expect(ackOf(acksOf({ events: records, rejectedByKiosk }, conflicts))).toEqual(expected);
  });

  test('a refusal reason is cut to the 200 characters the ack schema allows', () => {
    const acks = acksOf({ events: [], rejectedByKiosk: new Map([['A', [rejected('a1', 'x'.repeat(500))]]]) });
    expect(acks.get('A')!.rejected[0]!.reason).toHaveLength(200);
  });
});
