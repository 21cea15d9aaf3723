import { describe, expect, test } from 'vitest';
import { formatShare } from '../../web/src/views/reports/indicator-value.js';

describe('a share on the reports page', () => {
  test.each([
    [0.973846, undefined, '97%'],
    [0.5, 1, '50%'],
    [0.9, 0.95, '90%'],
    // Just under the target: not rounded up to look met.
    [0.9996, 1, '99.9%'],
    [0.9496, 0.95, '94.9%'],
    // Met, or no target: whole percent.
    [1, 1, '100%'],
    [0.9996, undefined, '100%'],
  ])('%s against %s reads %s', (ratio, target, shown) => {
    expect(formatShare('en', ratio, target)).toBe(shown);
  });
});
