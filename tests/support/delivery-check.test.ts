import { describe, expect, test } from 'vitest';
import { deliveryVerdict, isSubsequence } from './delivery-check.js';

describe('the delivery check the fault tests rely on', () => {
  test.each([
    [[], [], true],
    [['a', 'b'], ['a', 'b'], true],
    // A message lost on the way and sent again: the store got b before a, as the wire allows.
    [['b', 'a'], ['a', 'b', 'a'], true],
    [['a', 'c'], ['a', 'b', 'c'], true],
    [['b', 'a'], ['a', 'b'], false],
    [['a', 'a'], ['a'], false],
    [['x'], ['a', 'b'], false],
  ])('%j in %j: %s', (sub, seq, expected) => {
    expect(isSubsequence(sub, seq)).toBe(expected);
  });

  test('names the machines stored out of the order they sent, what never arrived, and what was never acked', () => {
    const verdict = deliveryVerdict({
      sent: new Map([
        ['K1', ['K1-1', 'K1-2', 'K1-3']],
        ['K2', ['K2-1', 'K2-2']],
      ]),
      inserted: new Map([
        ['K1', ['K1-2', 'K1-1']],
        ['K2', ['K2-1', 'K2-9']],
      ]),
      acked: new Map([
        ['K1', ['K1-1', 'K1-2', 'K1-7']],
        ['K2', ['K2-1']],
      ]),
    });
    expect(verdict).toEqual({
      sent: 5,
      stored: 4,
      missing: ['K1-3', 'K2-2'],
      unexpected: ['K2-9'],
      machinesOutOfOrder: [
        { kioskId: 'K1', firstStored: ['K1-2', 'K1-1'] },
        { kioskId: 'K2', firstStored: ['K2-1', 'K2-9'] },
      ],
      unacked: ['K1-3', 'K2-2'],
      ackedNotStored: ['K1-7'],
    });
  });
});
