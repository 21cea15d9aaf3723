import { describe, expect, test } from 'vitest';
import { TokenBucket, TokenBuckets } from '../../broker/token-bucket.js';

const settings = { ratePerWindow: 10, windowMs: 10_000, burst: 3 };

describe('TokenBucket', () => {
  test('a full bucket gives its burst at once, then nothing until time refills it', () => {
    const bucket = new TokenBucket(settings, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(999)).toBe(false); // 0.999 of a token
    expect(bucket.take(1_000)).toBe(true); // 10 per 10 s: one per second
    expect(bucket.take(1_000)).toBe(false);
  });

  test('refills no further than the burst, however long it rested', () => {
    const bucket = new TokenBucket(settings, 0);
    for (let i = 0; i < 3; i++) bucket.take(0);
    expect(bucket.isFull(3_600_000)).toBe(true);
    expect([bucket.take(3_600_000), bucket.take(3_600_000), bucket.take(3_600_000), bucket.take(3_600_000)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  test('a clock stepping backwards neither refills nor breaks it', () => {
    const bucket = new TokenBucket(settings, 10_000);
    for (let i = 0; i < 3; i++) bucket.take(10_000);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(10_999)).toBe(false);
    expect(bucket.take(11_000)).toBe(true);
  });
});

describe('TokenBuckets', () => {
  test('keeps one bucket per key', () => {
    const buckets = new TokenBuckets({ ...settings, burst: 1 }, 0);
    expect(buckets.take('a', 0)).toBe(true);
    expect(buckets.take('a', 0)).toBe(false);
    expect(buckets.take('b', 0)).toBe(true);
  });

  test('forgets buckets that refilled, so many one-off keys do not accumulate', () => {
    const buckets = new TokenBuckets(settings, 0);
    for (let i = 0; i < 1_000; i++) buckets.take(`address-${i}`, 0);
    expect(buckets.size).toBe(1_000);
    buckets.take('late', 10_000); // a window later every earlier bucket is full again
    expect(buckets.size).toBe(1);
  });
});
