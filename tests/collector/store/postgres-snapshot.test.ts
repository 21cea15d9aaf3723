import { describe, expect, test } from 'vitest';
import { isVisibleIn, parseSnapshot } from '../../../collector/store/postgres-snapshot.js';

describe('a PostgreSQL snapshot', () => {
  const snapshot = parseSnapshot('100:105:100,103');

  test.each([
    [99n, true],
    [100n, false],
    [101n, true],
    [103n, false],
    [104n, true],
    [105n, false],
    [2n ** 63n, false],
  ])('transaction %s is seen: %s', (xid, isSeen) => {
    expect(isVisibleIn(snapshot, xid)).toBe(isSeen);
  });

  test('with nothing in progress, everything below xmax is seen', () => {
    const quiet = parseSnapshot('7:7:');
    expect([isVisibleIn(quiet, 6n), isVisibleIn(quiet, 7n)]).toEqual([true, false]);
    expect(quiet.text).toBe('7:7:');
  });

  test.each([[''], ['1:2'], ['a:b:'], ['1:2:3,']])('%j is not a snapshot', (text) => {
    expect(() => parseSnapshot(text)).toThrow(/not a PostgreSQL snapshot/);
  });
});
