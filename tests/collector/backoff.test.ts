import { describe, expect, test } from 'vitest';
import { Backoff, RETRY_MAX_MS, RETRY_MIN_MS } from '../../collector/backoff.js';

describe('backoff before trying a store again', () => {
  test('doubles from the least wait after each failure, up to the longest', () => {
    const backoff = new Backoff(100, 1_000);
    expect(Array.from({ length: 6 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  test('a success starts it again from the least wait', () => {
    const backoff = new Backoff(100, 1_000);
    backoff.next();
    backoff.next();
    expect(backoff.delayMs).toBe(400);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  test('by default, from 100 ms to 5 s', () => {
    const backoff = new Backoff();
    expect([RETRY_MIN_MS, RETRY_MAX_MS]).toEqual([100, 5_000]);
    expect(backoff.next()).toBe(100);
    for (let i = 0; i < 10; i++) backoff.next();
    expect(backoff.delayMs).toBe(5_000);
  });
});
