import { describe, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import type { HistoryEvent } from '../../../collector/domain/inspections.js';
import {
  DEFAULT_SLA_POLICY,
  dueNotice,
  emptyHistory,
  foldReservationEvent,
  type NoticeStep,
  onTimeRates,
  parseReservationEvent,
  type Reservation,
  reservationAt,
  reservationEventIds,
  type ReservationHistory,
} from '../../../collector/domain/reservations.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (epochMs: number): string => new Date(epochMs).toISOString();
const HOUR_MS = 3_600_000;
const calendar = createCalendar('Asia/Shanghai');
const policy = DEFAULT_SLA_POLICY;

const CREATED = '2026-11-20T10:00:00+08:00';
const CREATED_MS = ms(CREATED);

let seq = 0;
function event(
  type: string,
  atMs: number,
  fields: Record<string, unknown> = {},
  options: { kioskId?: string; receivedMs?: number; id?: string } = {},
): HistoryEvent {
  const id = options.id ?? `e${++seq}`;
  return {
    id,
    kioskId: options.kioskId ?? 'CY-001',
    tsMs: atMs,
    receivedMs: options.receivedMs ?? atMs,
    data: { id, ts: iso(atMs), type, reservationId: 'R1', ...fields },
  };
}
const created = (atMs = CREATED_MS, extra: Record<string, unknown> = {}, options = {}) =>
  event(
    'reservation_created',
    atMs,
    { destination: { kind: 'kiosk', kioskId: 'CY-001' }, ...extra },
    { id: reservationEventIds.created('R1'), ...options },
  );
const delivered = (atMs: number, options = {}) => event('reservation_delivered', atMs, {}, options);
const notice = (step: NoticeStep, atMs: number) =>
  event(
    'reservation_notice',
    atMs,
    { step, deadline: iso(CREATED_MS + 72 * HOUR_MS) },
    { id: reservationEventIds.notice('R1', step) },
  );

function fold(...events: HistoryEvent[]): ReservationHistory {
  return events.reduce((history, e) => foldReservationEvent(history, e, parseReservationEvent(e)!), emptyHistory('R1'));
}
const at = (history: ReservationHistory, nowIso: string | number): Reservation =>
  reservationAt(history, policy, typeof nowIso === 'number' ? nowIso : ms(nowIso))!;

describe('the 72-hour reservation promise', () => {
  test.each([
    ['exactly 72 hours after creation', '2026-11-23T10:00:00+08:00', 'delivered_on_time', 'on_time'],
    ['one minute later', '2026-11-23T10:01:00+08:00', 'delivered_late', 'late'],
    ['one millisecond later', '2026-11-23T10:00:00.001+08:00', 'delivered_late', 'late'],
    ['the next morning', '2026-11-21T08:00:00+08:00', 'delivered_on_time', 'on_time'],
  ])('created at 10:00 and delivered %s is %s', (_name, deliveredAt, state, outcome) => {
    const reservation = at(fold(created(), delivered(ms(deliveredAt))), '2026-11-30T00:00:00+08:00');
    expect(reservation).toMatchObject({ state, outcome });
    expect(reservation.deadlineMs).toBe(ms('2026-11-23T10:00:00+08:00'));
  });

  test.each([
    [0, 'open', 'pending'],
    [0.8 * 72 * HOUR_MS, 'open', 'pending'], // exactly 80 % of the window used: not yet "more than"
    [0.8 * 72 * HOUR_MS + 1, 'at_risk', 'pending'],
    [72 * HOUR_MS, 'at_risk', 'pending'],
    [72 * HOUR_MS + 1, 'breached', 'missed'],
  ])('undelivered, %i ms after creation it is %s', (elapsedMs, state, outcome) => {
    expect(at(fold(created()), CREATED_MS + elapsedMs)).toMatchObject({ state, outcome });
  });

  test('the window and the at-risk mark follow the policy', () => {
    const reservation = reservationAt(fold(created()), { windowMs: 48 * HOUR_MS, atRiskRatio: 0.5 }, CREATED_MS + 25 * HOUR_MS)!;
    expect(reservation).toMatchObject({
      state: 'at_risk',
      deadlineMs: CREATED_MS + 48 * HOUR_MS,
      atRiskAtMs: CREATED_MS + 24 * HOUR_MS,
    });
  });

  test('the at-risk notice fires once, then the breach notice once, as a timer sees them', () => {
    let history = fold(created());
    const fired: { step: NoticeStep; atMs: number }[] = [];
    for (let nowMs = CREATED_MS; nowMs <= CREATED_MS + 100 * HOUR_MS; nowMs += 60_000) {
      const step = dueNotice(at(history, nowMs), nowMs);
      if (!step) continue;
      fired.push({ step, atMs: nowMs });
      // The notifier records each notice as an event before it sends it.
      const recorded = notice(step, nowMs);
      history = foldReservationEvent(history, recorded, parseReservationEvent(recorded)!);
    }
    expect(fired.map((f) => f.step)).toEqual(['at_risk', 'breached']);
    expect(fired[0]!.atMs).toBe(CREATED_MS + 0.8 * 72 * HOUR_MS + 60_000);
    expect(fired[1]!.atMs).toBe(CREATED_MS + 72 * HOUR_MS + 60_000);
  });

  test('a recorded notice replayed (after a restart) is not due again', () => {
    const history = fold(created(), notice('at_risk', CREATED_MS + 58 * HOUR_MS), notice('at_risk', CREATED_MS + 58 * HOUR_MS));
    expect(history.notices).toHaveLength(1);
    expect(dueNotice(at(history, CREATED_MS + 60 * HOUR_MS), CREATED_MS + 60 * HOUR_MS)).toBeNull();
  });

  test.each([
    ['found already past its deadline', [] as NoticeStep[], 80, 'breached'],
    ['delivered', ['delivered'], 80, null],
    ['cancelled', ['cancelled'], 60, null],
    ['at risk with its notice sent', ['at_risk'], 60, null],
    ['breached with its notice sent', ['at_risk', 'breached'], 80, null],
  ] as const)('a reservation %s needs notice %s', (_name, facts, hours, step) => {
    const events = [created()];
    for (const fact of facts) {
      if (fact === 'delivered') events.push(delivered(CREATED_MS + 10 * HOUR_MS));
      else if (fact === 'cancelled') events.push(event('reservation_cancelled', CREATED_MS + 10 * HOUR_MS));
      else events.push(notice(fact, CREATED_MS + hours * HOUR_MS));
    }
    const nowMs = CREATED_MS + hours * HOUR_MS;
    expect(dueNotice(at(fold(...events), nowMs), nowMs)).toBe(step);
  });

  test('the fold is idempotent and does not depend on the order events arrive in', () => {
    const events = [
      created(),
      delivered(CREATED_MS + 30 * HOUR_MS, { receivedMs: CREATED_MS + 31 * HOUR_MS }),
      event('reservation_picked_up', CREATED_MS + 40 * HOUR_MS),
    ];
    const forward = at(fold(...events), CREATED_MS + 50 * HOUR_MS);
    expect(at(fold(...[...events].reverse()), CREATED_MS + 50 * HOUR_MS)).toEqual(forward);
    expect(at(fold(...events, ...events), CREATED_MS + 50 * HOUR_MS)).toEqual(forward);
    expect(forward).toMatchObject({ state: 'delivered_on_time', pickedUpAtMs: CREATED_MS + 40 * HOUR_MS });
  });

  test('a delivery received before the reservation was known counts for nothing, in any order', () => {
    const early = delivered(CREATED_MS + HOUR_MS, { receivedMs: CREATED_MS + HOUR_MS });
    const late = created(CREATED_MS, {}, { receivedMs: CREATED_MS + 2 * HOUR_MS });
    expect(fold(early).created).toBeNull();
    expect(at(fold(early, late), CREATED_MS + 3 * HOUR_MS)).toMatchObject({ state: 'open', delivery: null });
    expect(at(fold(late, early), CREATED_MS + 3 * HOUR_MS)).toMatchObject({ state: 'open', delivery: null });
    expect(reservationAt(fold(early), policy, CREATED_MS)).toBeNull();
  });

  test('a courier delivery keeps who delivered it; the first delivery wins', () => {
    const courier = event('reservation_delivered', CREATED_MS + 5 * HOUR_MS, { by: 'courier-7' }, { kioskId: '' });
    const machine = delivered(CREATED_MS + 6 * HOUR_MS);
    const reservation = at(
      fold(created(CREATED_MS, { destination: { kind: 'home' } }, { kioskId: '' }), machine, courier),
      CREATED_MS + 7 * HOUR_MS,
    );
    expect(reservation).toMatchObject({
      kioskId: '',
      delivery: { atMs: CREATED_MS + 5 * HOUR_MS, by: 'courier-7', kioskId: '' },
    });
  });

  test.each([
    ['before its deadline', 10, 'not_counted'],
    ['after its deadline', 80, 'missed'],
  ])('a reservation cancelled undelivered %s is %s', (_name, hours, outcome) => {
    const history = fold(created(), event('reservation_cancelled', CREATED_MS + hours * HOUR_MS));
    expect(at(history, CREATED_MS + 100 * HOUR_MS)).toMatchObject({ state: 'cancelled', outcome });
  });

  test('on-time rates per month of creation and per destination', () => {
    const make = (id: string, createdIso: string, destination: object, deliveredAfterHours: number | null): Reservation => {
      const createdMs = ms(createdIso);
      const c = { ...created(createdMs, { reservationId: id, destination }), id: `c-${id}` };
      c.data = { ...c.data, id: `c-${id}` };
      const events = [c];
      if (deliveredAfterHours !== null)
        events.push(event('reservation_delivered', createdMs + deliveredAfterHours * HOUR_MS, { reservationId: id }));
      const history = events.reduce((h, e) => foldReservationEvent(h, e, parseReservationEvent(e)!), emptyHistory(id));
      return reservationAt(history, policy, ms('2026-12-02T12:00:00+08:00'))!;
    };
    const kiosk = { kind: 'kiosk', kioskId: 'CY-001' };
    const home = { kind: 'home' };
    const reservations = [
      make('a', '2026-10-31T23:30:00+08:00', kiosk, 10), // October in Shanghai (still the 31st locally)
      make('b', '2026-11-01T00:30:00+08:00', kiosk, 80), // November, late
      make('c', '2026-11-02T09:00:00+08:00', home, 20), // November, on time
      make('d', '2026-11-25T09:00:00+08:00', home, null), // November, missed
      make('e', '2026-12-01T09:00:00+08:00', kiosk, null), // December, pending
    ];
    const { byMonth, byDestination } = onTimeRates(reservations, calendar);
    expect(byMonth).toEqual([
      { month: '2026-10', created: 1, onTime: 1, late: 0, missed: 0, pending: 0, onTimeRatio: 1 },
      { month: '2026-11', created: 3, onTime: 1, late: 1, missed: 1, pending: 0, onTimeRatio: 1 / 3 },
      { month: '2026-12', created: 1, onTime: 0, late: 0, missed: 0, pending: 1, onTimeRatio: null },
    ]);
    expect(byDestination.filter((r) => r.month === '2026-11')).toEqual([
      { month: '2026-11', destination: 'CY-001', created: 1, onTime: 0, late: 1, missed: 0, pending: 0, onTimeRatio: 0 },
      { month: '2026-11', destination: 'home', created: 2, onTime: 1, late: 0, missed: 1, pending: 0, onTimeRatio: 0.5 },
    ]);
  });
});
