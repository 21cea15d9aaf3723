import { afterAll, describe, expect, test } from 'vitest';
import { fleetInstantOf, setFleetTimeZone } from '../../web/src/format.js';

describe('a wall time typed in the fleet time zone (the audit filters)', () => {
  afterAll(() => setFleetTimeZone('Asia/Shanghai'));

  test.each([
    ['Asia/Shanghai', '2026-12-03T08:00', '2026-12-03T00:00:00.000Z'],
    ['Asia/Shanghai', '2027-01-01T00:00', '2026-12-31T16:00:00.000Z'],
    ['UTC', '2026-06-30T23:59', '2026-06-30T23:59:00.000Z'],
    // Summer and winter time: the offset of the day meant, not of today.
    ['Europe/London', '2026-07-01T12:00', '2026-07-01T11:00:00.000Z'],
    ['Europe/London', '2026-01-15T12:00', '2026-01-15T12:00:00.000Z'],
    // Just after the clocks went forward (01:00 UTC on 29 March 2026).
    ['Europe/London', '2026-03-29T03:00', '2026-03-29T02:00:00.000Z'],
    ['America/New_York', '2026-11-01T12:00', '2026-11-01T17:00:00.000Z'],
  ])('in %s, %s is %s', (zone, wallTime, instant) => {
    setFleetTimeZone(zone);
    expect(fleetInstantOf(wallTime)).toBe(instant);
  });
});
