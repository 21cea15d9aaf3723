import { describe, expect, test } from 'vitest';
import { hasEnoughData } from '../../../collector/domain/enough-data.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('whether an availability figure rests on enough watching', () => {
  test.each([
    ['minutes after a first start, in the afternoon', 5 * MIN * 3, 3, 14 * HOUR, false],
    ['an hour a machine, in the afternoon', HOUR * 3, 3, 14 * HOUR, true],
    ['twenty minutes after midnight, watched all along', 20 * MIN * 3, 3, 20 * MIN, true],
    ['twenty minutes after midnight, watched five', 5 * MIN * 3, 3, 20 * MIN, false],
    ['no machine measured', 0, 0, 14 * HOUR, false],
  ])('%s: %s', (_what, measuredMs, machines, windowElapsedMs, isEnough) => {
    expect(hasEnoughData({ measuredMs, machines, windowElapsedMs })).toBe(isEnough);
  });
});
