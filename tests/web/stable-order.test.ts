import { describe, expect, test } from 'vitest';
import { keepPlaces } from '../../web/src/views/alerts/stable-order.js';

describe('alerts keep their places on the board', () => {
  test.each([
    { what: 'a first showing follows urgency', previous: [], sorted: ['a', 'b', 'c'], shown: ['a', 'b', 'c'] },
    {
      what: 'an acknowledged alert ranked lower by urgency stays where it was',
      previous: ['a', 'b', 'c'],
      sorted: ['b', 'c', 'a'],
      shown: ['a', 'b', 'c'],
    },
    { what: 'a resolved alert leaves its place', previous: ['a', 'b', 'c'], sorted: ['a', 'c'], shown: ['a', 'c'] },
    {
      what: 'a new alert goes before the first shown alert urgency ranks after it',
      previous: ['a', 'b', 'c'],
      sorted: ['a', 'n', 'b', 'c'],
      shown: ['a', 'n', 'b', 'c'],
    },
    { what: 'a new least urgent alert goes last', previous: ['a', 'b'], sorted: ['a', 'b', 'n'], shown: ['a', 'b', 'n'] },
  ])('$what', ({ previous, sorted, shown }) => {
    expect(keepPlaces(previous, sorted)).toEqual(shown);
  });
});
