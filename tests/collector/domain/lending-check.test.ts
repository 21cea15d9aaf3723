import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import { type ActivityModel, fitExpectedActivity, HOUR_MS, localSlotOf } from '../../../collector/domain/expected-activity.js';
import { checkLending, type LendingCheck, nextLendingFlag } from '../../../collector/domain/lending-check.js';
import { estimateLost } from '../../../collector/domain/lost-transactions.js';
import { poissonCdf } from '../../../collector/domain/poisson.js';

const calendar = createCalendar('Asia/Shanghai');
const DAY_MS = 86_400_000;
const FROM = Date.parse('2026-03-01T00:00:00+08:00');
const NOW_DAY = FROM + 8 * 7 * DAY_MS;
/** 3 transactions an hour from 08 to 22 h, almost nothing at night. */
const rateOf = (hour: number) => (hour >= 8 && hour < 22 ? 3 : hour === 3 ? 0 : 0.1);

/** Eight weeks of a busy machine: its model, and its transactions evenly spread. */
function busyMachine(): { model: ActivityModel; eventMs: number[] } {
  const hours = [];
  const eventMs: number[] = [];
  let carry = 0;
  for (let startMs = FROM; startMs < NOW_DAY; startMs += HOUR_MS) {
    const rate = rateOf(localSlotOf(calendar, startMs).hourOfWeek % 24);
    carry += rate;
    const count = Math.floor(carry);
    carry -= count;
    for (let i = 0; i < count; i++) eventMs.push(startMs + Math.floor(((i + 0.5) * HOUR_MS) / count));
    hours.push({ startMs, count, availableRatio: 1 });
  }
  const model = fitExpectedActivity(hours, calendar);
  if (model.kind !== 'model') throw new Error(model.reason);
  return { model, eventMs };
}

const at = (hhmm: string) => Date.parse(`${new Date(NOW_DAY).toISOString().slice(0, 10)}T${hhmm}:00+08:00`);

describe('online but not lending', () => {
  const { model, eventMs } = busyMachine();
  const before = (ms: number) => eventMs.filter((t) => t < ms);
  const available = [{ fromMs: FROM, toMs: NOW_DAY + DAY_MS }];

  test('a busy machine that stops dead at 10:00 is not lending by 14:00, since its last transaction', () => {
    const history = before(at('10:00'));
    const check = checkLending({ nowMs: at('14:00'), model, eventMs: history, available });
    expect(check.kind).toBe('not_lending');
    if (check.kind !== 'not_lending') return;
    expect(check.evidence).toMatchObject({ seen: 0, sinceMs: history.at(-1) });
    expect(check.evidence.expected).toBeGreaterThan(10);
    expect(check.isQuietHour).toBe(false);
    expect(nextLendingFlag(false, check)).toBe('raise');
  });

  test('a quiet night without a single transaction raises nothing', () => {
    const history = before(at('00:00'));
    const check = checkLending({ nowMs: at('06:00'), model, eventMs: history, available });
    expect(check.kind).toBe('lending');
    expect(nextLendingFlag(false, check)).toBe('keep');
  });

  test('a machine lending a fraction of its usual is caught through a window with a few transactions in it', () => {
    const history = [...before(at('10:00')), at('11:00'), at('13:00')];
    const check = checkLending({ nowMs: at('17:00'), model, eventMs: history, available });
    expect(check).toMatchObject({ kind: 'not_lending', evidence: { seen: 2 } });
  });

  test('time the machine was out of service does not count towards what was expected', () => {
    const history = before(at('10:00'));
    const outage = [
      { fromMs: FROM, toMs: at('10:00') },
      { fromMs: at('13:30'), toMs: at('14:00') },
    ];
    expect(checkLending({ nowMs: at('14:00'), model, eventMs: history, available: outage }).kind).toBe('lending');
  });

  test.each<[string, boolean, LendingCheck, 'raise' | 'clear' | 'keep']>([
    ['not lending in a quiet hour is not raised', false, notLending(true), 'keep'],
    ['not lending, already flagged, stays', true, notLending(false), 'keep'],
    ['lending again clears the flag', true, { kind: 'lending', evidence: null }, 'clear'],
    ['too little history changes nothing', true, { kind: 'insufficient_history', reason: 'new' }, 'keep'],
  ])('%s', (_name, isFlagged, check, step) => {
    expect(nextLendingFlag(isFlagged, check)).toBe(step);
  });

  test('a machine with too little history says so', () => {
    const model = fitExpectedActivity([], calendar);
    expect(checkLending({ nowMs: at('14:00'), model, eventMs: [], available })).toMatchObject({ kind: 'insufficient_history' });
  });
});

function notLending(isQuietHour: boolean): LendingCheck {
  return { kind: 'not_lending', evidence: { sinceMs: 0, expected: 9, seen: 0, probability: 1e-4 }, isQuietHour };
}

describe('transactions lost to downtime', () => {
  const { model } = busyMachine();

  test('four busy hours out of service lose about twelve, with a 90 % interval around it', () => {
    const lost = estimateLost(
      model,
      [{ fromMs: at('10:00'), toMs: at('14:00'), cause: 'out_of_service' }],
      at('00:00'),
      at('23:59'),
    );
    expect(lost.expected).toBeCloseTo(12, 0);
    expect(lost.byCause.out_of_service).toBe(lost.expected);
    expect(lost.low).toBeLessThan(lost.expected);
    expect(lost.high).toBeGreaterThan(lost.expected);
    expect(lost.downtimeMs).toBe(4 * HOUR_MS);
  });

  test('only the part of the downtime inside the period counts', () => {
    const lost = estimateLost(model, [{ fromMs: at('10:00'), toMs: at('14:00'), cause: 'paused' }], at('12:00'), at('23:59'));
    expect(lost.expected).toBeCloseTo(6, 0);
  });
});

test.each([
  [0, 2, Math.exp(-2)],
  [1, 2, 3 * Math.exp(-2)],
  [0, 0, 1],
  [-1, 3, 0],
])('P(X ≤ %i | mean %d)', (k, mean, p) => {
  expect(poissonCdf(k, mean)).toBeCloseTo(p, 10);
});
