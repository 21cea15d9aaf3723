import { describe, expect, test } from 'vitest';
import { REJECTION_REASONS } from '../../broker/rejection.js';
import { DEAD_LETTER_REASONS, DECODE_REJECTION_REASONS, DOMAIN_REFUSAL_REASONS } from '../../collector/dead-letter-reason.js';

describe('one dead-letter vocabulary', () => {
  test('it holds every refusal of the broker, the decoder and the domain rules', () => {
    expect([...DEAD_LETTER_REASONS].sort()).toEqual(
      [...REJECTION_REASONS, ...DECODE_REJECTION_REASONS, ...DOMAIN_REFUSAL_REASONS].sort(),
    );
  });

  test('no code is used by two refusers, so a reason says who refused', () => {
    expect(new Set(DEAD_LETTER_REASONS).size).toBe(DEAD_LETTER_REASONS.length);
  });
});
