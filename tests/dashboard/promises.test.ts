// This file is long because it walks both service promises (weekly inspection, 72-hour
// reservations) through the real platform, rule by rule.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addIsoWeeks, isoWeekOf, monthOfIsoWeek, startOfIsoWeek } from '../../time/iso-week.js';
import { ReservationService, type ReservationNotice } from '../../collector/promises/reservation-service.js';
import type { PromisesSummary } from '../../dashboard/socket-events.js';
import { type ApiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}
interface ReservationBody {
  reservation: {
    reservationId: string;
    state: string;
    kioskId: string;
    delivery: { kioskId: string; by: string | null } | null;
    notices: Record<string, string>;
  };
  isNew: boolean;
}
interface WeekBody {
  week: string;
  done: { kioskId: string; inspections: { source: string; inspector: string }[] }[];
  due: string[];
  overdue: string[];
  expected: number;
}

const HOUR_MS = 3_600_000;
/** An instant written in Shanghai local time, as a machine there would stamp it. */
const shanghaiTime = (epochMs: number) => `${new Date(epochMs + 8 * HOUR_MS).toISOString().slice(0, 19)}+08:00`;

describe('service promises over REST, MQTT and socket.io', () => {
  let t: TestPlatform;
  let machine: MqttClient;
  const acks: { stored: string[]; rejected: { id: string }[] }[] = [];

  beforeAll(async () => {
    t = await startTestPlatform();
    for (const id of ['P-001', 'P-002', 'P-003']) {
      const token = await t.provision(id);
      if (id === 'P-001') machine = await t.connectKiosk(id, token);
    }
    await machine.subscribeAsync('kiosks/P-001/acks', { qos: 1 });
    machine.on('message', (_topic, payload) => acks.push(JSON.parse(payload.toString()) as (typeof acks)[number]));
  });
  afterAll(async () => t?.stop());

  /** A POST as the admin, as another client, or with no credentials (null). */
  const post = async (path: string, body: unknown, as?: ApiClient | null) => {
    const client = as === undefined ? await t.api('admin') : as;
    return fetch(`${t.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(client ? { ...client.headers, 'x-csrf-token': client.csrfToken } : {}) },
      body: JSON.stringify(body),
    });
  };
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR_MS).toISOString();
  /** Publishes one event as machine P-001 and waits until the collector acks it stored. */
  async function publishFromMachine(event: Record<string, unknown>): Promise<void> {
    await machine.publishAsync('kiosks/P-001/events', JSON.stringify(event), { qos: 1 });
    await expect.poll(() => acks.some((a) => a.stored.includes(String(event.id)))).toBe(true);
  }
  const reservation = async (id: string) => t.get<ReservationBody>(`/api/v1/reservations/${id}`);

  describe('reservations', () => {
    test('creating the same reservation twice makes one; other content under its id is a 409', async () => {
      const body = { reservationId: 'WEB-1', createdAt: hoursAgo(1), destination: { kind: 'kiosk', kioskId: 'P-001' } };
      const first = await post('/api/v1/reservations', body);
      expect(first.status).toBe(201);
      expect(((await first.json()) as ReservationBody).reservation).toMatchObject({
        reservationId: 'WEB-1',
        state: 'open',
        kioskId: 'P-001',
      });
      const again = await post('/api/v1/reservations', body);
      expect(again.status).toBe(200);
      expect(((await again.json()) as ReservationBody).isNew).toBe(false);
      const other = await post('/api/v1/reservations', { ...body, destination: { kind: 'home' } });
      expect(other.status).toBe(409);
      const error = ((await other.json()) as ErrorBody).error;
      expect(error.code).toBe('RESERVATION_CONFLICT');
      expect(error.message).toContain('WEB-1');
      const events = await t.get<{ events: { reservationId: string }[] }>('/api/v1/events?type=reservation_created');
      expect(events.body.events.filter((e) => e.reservationId === 'WEB-1')).toHaveLength(1);
    });

    test.each([
      [
        'no reservation id',
        { createdAt: '2026-11-20T10:00:00+08:00', destination: { kind: 'home' } },
        'reservationId',
        'expected string',
      ],
      [
        'a reservation id with a space',
        { reservationId: 'WEB 2', createdAt: '2026-11-20T10:00:00+08:00', destination: { kind: 'home' } },
        'reservationId',
        'a reservation id is',
      ],
      [
        'a time without offset',
        { reservationId: 'WEB-2', createdAt: '2026-11-20 10:00', destination: { kind: 'home' } },
        'createdAt',
        'datetime',
      ],
      [
        'a time in the future',
        { reservationId: 'WEB-2', createdAt: '2099-01-01T00:00:00Z', destination: { kind: 'home' } },
        'createdAt',
        'future',
      ],
      [
        'an unknown destination kind',
        { reservationId: 'WEB-2', createdAt: '2026-11-20T10:00:00+08:00', destination: { kind: 'moon' } },
        'destination.kind',
        '',
      ],
      [
        'an unknown machine',
        { reservationId: 'WEB-2', createdAt: '2026-11-20T10:00:00+08:00', destination: { kind: 'kiosk', kioskId: 'NOPE-9' } },
        'destination.kioskId',
        'no kiosk',
      ],
      [
        'an unknown field',
        { reservationId: 'WEB-2', createdAt: '2026-11-20T10:00:00+08:00', destination: { kind: 'home' }, reader: 'x' },
        'reader',
        '',
      ],
    ])('a body with %s is a 400 naming the field and the reason', async (_name, body, field, reason) => {
      const res = await post('/api/v1/reservations', body);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as ErrorBody).error;
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toContain(field);
      expect(error.message.toLowerCase()).toContain(reason.toLowerCase());
      expect((await reservation('WEB-2')).status).toBe(404);
    });

    test('creating needs credentials', async () => {
      const res = await post(
        '/api/v1/reservations',
        { reservationId: 'WEB-3', createdAt: hoursAgo(1), destination: { kind: 'home' } },
        null,
      );
      expect(res.status).toBe(401);
    });

    test('a real machine delivering over MQTT delivers the reservation', async () => {
      await post('/api/v1/reservations', {
        reservationId: 'WEB-10',
        createdAt: hoursAgo(5),
        destination: { kind: 'kiosk', kioskId: 'P-001' },
      });
      await publishFromMachine({
        id: 'P-001-b1-1',
        ts: new Date().toISOString(),
        type: 'reservation_delivered',
        reservationId: 'WEB-10',
      });
      await expect.poll(async () => (await reservation('WEB-10')).body.reservation?.state).toBe('delivered_on_time');
      expect((await reservation('WEB-10')).body.reservation.delivery).toEqual(
        expect.objectContaining({ kioskId: 'P-001', by: null }),
      );
    });

    test('a machine delivering an unknown reservation is dead-lettered with the reason; nothing else changes', async () => {
      const everything = async () =>
        (
          await t.get<{ reservations: ReservationBody['reservation'][] }>(
            '/api/v1/reservations?state=open,at_risk,breached,delivered_on_time,delivered_late,cancelled',
          )
        ).body.reservations.map((r) => ({ id: r.reservationId, state: r.state, delivery: r.delivery }));
      const before = await everything();
      await publishFromMachine({
        id: 'P-001-b1-2',
        ts: new Date().toISOString(),
        type: 'reservation_delivered',
        reservationId: 'NEVER-MADE',
      });
      await expect
        .poll(
          async () =>
            (await t.get<{ deadLetters: { reason: string; detail: string; kioskId?: string }[] }>('/api/v1/dead-letters')).body
              .deadLetters,
        )
        .toContainEqual(
          expect.objectContaining({
            reason: 'unknown_reservation',
            kioskId: 'P-001',
            detail: expect.stringContaining('NEVER-MADE'),
          }),
        );
      expect((await reservation('NEVER-MADE')).status).toBe(404);
      expect(await everything()).toEqual(before);
    });

    test('a courier delivering an unknown reservation is a 404 and a dead letter, and nothing is stored', async () => {
      const res = await post('/api/v1/reservations/GHOST-1/delivered', {}, await t.bearer('courier', 'courier-1'));
      expect(res.status).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe('RESERVATION_NOT_FOUND');
      await expect
        .poll(
          async () =>
            (await t.get<{ deadLetters: { reason: string; detail: string }[] }>('/api/v1/dead-letters')).body.deadLetters,
        )
        .toContainEqual(expect.objectContaining({ reason: 'unknown_reservation', detail: expect.stringContaining('GHOST-1') }));
      const events = await t.get<{ events: { reservationId: string }[] }>('/api/v1/events?type=reservation_delivered');
      expect(events.body.events.some((e) => e.reservationId === 'GHOST-1')).toBe(false);
    });

    test('a courier delivers to the door, late; the reader never picks up a home delivery at a machine', async () => {
      await post('/api/v1/reservations', { reservationId: 'WEB-HOME', createdAt: hoursAgo(80), destination: { kind: 'home' } });
      // Who delivered is the caller: here a courier's integration token named courier-7.
      const res = await post('/api/v1/reservations/WEB-HOME/delivered', {}, await t.bearer('courier', 'courier-7'));
      expect(res.status).toBe(200);
      expect(((await res.json()) as ReservationBody).reservation).toMatchObject({
        state: 'delivered_late',
        kioskId: '',
        delivery: { by: 'courier-7' },
      });
      const bad = await post('/api/v1/reservations/WEB-HOME/delivered', { deliveredAt: 'soon' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as ErrorBody).error.message).toContain('deliveredAt');
    });

    test('at-risk and breached reservations are listed, and each notice fires once, even after a restart', async () => {
      const socket = await t.socket('operator');
      const notices: ReservationNotice[] = [];
      socket.on('notice', (n: ReservationNotice) => notices.push(n));
      const summary = await new Promise<PromisesSummary>((resolve) => socket.once('promises', resolve));
      expect(summary.reservations).toMatchObject({ slaHours: 72 });
      try {
        await post('/api/v1/reservations', {
          reservationId: 'WEB-RISK',
          createdAt: hoursAgo(60),
          destination: { kind: 'kiosk', kioskId: 'P-002' },
        });
        await post('/api/v1/reservations', { reservationId: 'WEB-LATE', createdAt: hoursAgo(73), destination: { kind: 'home' } });
        await expect
          .poll(() => notices.map((n) => `${n.reservationId}:${n.step}`).sort())
          .toEqual(['WEB-LATE:breached', 'WEB-RISK:at_risk']);

        const atRisk = await t.get<{ reservations: { reservationId: string }[] }>('/api/v1/reservations?state=at_risk');
        expect(atRisk.body.reservations.map((r) => r.reservationId)).toContain('WEB-RISK');
        const breached = await t.get<{ reservations: { reservationId: string }[] }>('/api/v1/reservations?state=breached');
        expect(breached.body.reservations.map((r) => r.reservationId)).toEqual(['WEB-LATE']);
        expect((await reservation('WEB-RISK')).body.reservation.notices).toHaveProperty('at_risk');

        const { reservations } = t.platform.promises;
        expect(await reservations.checkNotices()).toEqual([]);
        // A second service over the same history (a restart) finds the notices already issued.
        const restarted = new ReservationService({
          store: t.platform.store,
          ingest: t.platform.collector.ingest,
          calendar: t.platform.foundation.calendar,
          topics: t.platform.foundation.topics,
          policy: reservations.policy,
          isKnownKiosk: () => true,
          now: Date.now,
          logger: t.platform.foundation.logger,
        });
        const fired: ReservationNotice[] = [];
        restarted.on('notice', (n) => fired.push(n));
        await restarted.start();
        restarted.stop();
        expect(fired).toEqual([]);
        const stored = await t.get<{ events: { reservationId: string; step: string }[] }>(
          '/api/v1/events?type=reservation_notice',
        );
        expect(stored.body.events.filter((e) => e.reservationId === 'WEB-RISK')).toHaveLength(1);
        expect(notices).toHaveLength(2);
      } finally {
        socket.close();
      }
    });

    test('pick-up follows delivery; cancelling stops the clock', async () => {
      expect((await post('/api/v1/reservations/WEB-RISK/picked-up', {})).status).toBe(409);
      expect((await post('/api/v1/reservations/WEB-10/picked-up', {})).status).toBe(200);
      const cancelled = await post('/api/v1/reservations/WEB-RISK/cancel', { reason: 'reader changed their mind' });
      expect(((await cancelled.json()) as ReservationBody).reservation.state).toBe('cancelled');
      expect((await post('/api/v1/reservations/WEB-RISK/delivered', {})).status).toBe(409);
    });

    test('on-time rates per month of creation and per destination', async () => {
      const { body } = await t.get<{
        byMonth: { onTime: number; late: number; missed: number }[];
        byDestination: { destination: string }[];
      }>('/api/v1/reservations/on-time');
      const totals = body.byMonth.reduce(
        (sum, m) => ({ onTime: sum.onTime + m.onTime, late: sum.late + m.late, missed: sum.missed + m.missed }),
        { onTime: 0, late: 0, missed: 0 },
      );
      expect(totals).toEqual({ onTime: 1, late: 1, missed: 1 }); // WEB-10, WEB-HOME, WEB-LATE
      expect(new Set(body.byDestination.map((d) => d.destination))).toEqual(new Set(['P-001', 'P-002', 'home']));
    });

    // Last: these reservations would otherwise count in the on-time rates above.
    test.each([
      ['delivered', 'deliveredAt'],
      ['picked-up', 'pickedUpAt'],
      ['cancel', 'cancelledAt'],
    ])('a step dated before the reservation was created (/%s) is a 400 naming %s, and nothing is stored', async (step, field) => {
      const reservationId = `WEB-EARLY-${step}`;
      await post('/api/v1/reservations', {
        reservationId,
        createdAt: hoursAgo(2),
        destination: { kind: 'kiosk', kioskId: 'P-003' },
      });
      if (step === 'picked-up') expect((await post(`/api/v1/reservations/${reservationId}/delivered`, {})).status).toBe(200);
      const before = (await reservation(reservationId)).body.reservation;
      const res = await post(`/api/v1/reservations/${reservationId}/${step}`, { [field]: hoursAgo(3) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining(`${field}: is before the reservation was created`),
      });
      expect((await reservation(reservationId)).body.reservation).toEqual(before);
    });
  });

  describe('inspections', () => {
    test('from a machine over MQTT and entered through the API, both count for the week', async () => {
      await publishFromMachine({
        id: 'P-001-b1-3',
        ts: new Date().toISOString(),
        type: 'inspection',
        inspector: 'crew-2',
        result: 'pass',
        checklist: { rfid_reader: 'ok', door: 'ok' },
      });
      const res = await post('/api/v1/inspections', {
        kioskId: 'P-002',
        inspector: 'crew-3',
        result: 'issues_found',
        checklist: { printer: 'issue', bins: 'ok' },
      });
      expect(res.status).toBe(201);
      const week = isoWeekOf(Date.now(), t.platform.foundation.calendar);
      await expect
        .poll(async () => (await t.get<WeekBody>('/api/v1/inspections')).body.done.map((d) => d.kioskId))
        .toEqual(['P-001', 'P-002']);
      const { body } = await t.get<WeekBody>(`/api/v1/inspections?week=${week}`);
      expect(body.week).toBe(week);
      expect(body.done.map((d) => d.inspections[0]?.source)).toEqual(['machine', 'api']);
      // P-003 went without an inspection last week too: it is overdue already.
      expect(body.overdue).toEqual(['P-003']);
      expect(body.expected).toBe(3);
      // An inspection entered by hand is not a sign of life from the machine.
      expect((await t.get<{ kiosk: { lastSeen: string | null } }>('/api/v1/kiosks/P-002')).body.kiosk.lastSeen).toBeNull();
    });

    // Two and three weeks back, whatever today is: week A's Sunday 23:30 and week B's Monday 00:10, local.
    const weekB = () => addIsoWeeks(isoWeekOf(Date.now(), t.platform.foundation.calendar), -2);
    const weekA = () => addIsoWeeks(weekB(), -1);

    test('a Sunday 23:30 inspection counts for that week, a Monday 00:10 one for the next (Asia/Shanghai)', async () => {
      const mondayMs = startOfIsoWeek(weekB(), t.platform.foundation.calendar);
      const sundayNight = shanghaiTime(mondayMs - 30 * 60_000);
      const mondayMorning = shanghaiTime(mondayMs + 10 * 60_000);
      expect(sundayNight).toMatch(/T23:30:00\+08:00$/);
      const sunday = await post('/api/v1/inspections', {
        kioskId: 'P-003',
        inspector: 'crew-1',
        result: 'pass',
        inspectedAt: sundayNight,
      });
      expect(sunday.status).toBe(201);
      const monday = await post('/api/v1/inspections', {
        kioskId: 'P-002',
        inspector: 'crew-1',
        result: 'pass',
        inspectedAt: mondayMorning,
      });
      expect(monday.status).toBe(201);
      const a = (await t.get<WeekBody>(`/api/v1/inspections?week=${weekA()}`)).body;
      const b = (await t.get<WeekBody>(`/api/v1/inspections?week=${weekB()}`)).body;
      expect(a.done.map((d) => d.kioskId)).toEqual(['P-003']);
      expect(b.done.map((d) => d.kioskId)).toEqual(['P-002']);
      expect(b.overdue).toEqual(['P-001', 'P-003']);
      // The same inspection entered again is one inspection.
      const again = await post('/api/v1/inspections', {
        kioskId: 'P-003',
        inspector: 'crew-1',
        result: 'pass',
        inspectedAt: sundayNight,
      });
      expect(again.status).toBe(200);
    });

    test('compliance per week and month, and a machine’s history', async () => {
      const compliance = await t.get<{
        weeks: { week: string; inspected: number; expected: number }[];
        months: { month: string }[];
      }>(`/api/v1/inspections/compliance?from=${weekA()}&to=${weekB()}`);
      expect(compliance.body.weeks).toEqual([
        expect.objectContaining({ week: weekA(), expected: 3, inspected: 1 }),
        expect.objectContaining({ week: weekB(), expected: 3, inspected: 1 }),
      ]);
      expect(compliance.body.months.map((m) => m.month)).toContain(monthOfIsoWeek(weekA()));
      const history = await t.get<{ inspections: { week: string }[]; weeks: { week: string; status: string }[] }>(
        `/api/v1/inspections/history?kiosk=P-003&from=${weekA()}&to=${weekB()}`,
      );
      expect(history.body.weeks).toEqual([
        { week: weekA(), status: 'done' },
        { week: weekB(), status: 'overdue' },
      ]);
      expect(history.body.inspections.map((i) => i.week)).toEqual([weekA()]);
    });

    test.each([
      ['/api/v1/inspections?week=2026-47', 'week'],
      ['/api/v1/inspections?week=2025-W53', 'week'],
      [`/api/v1/inspections/compliance?from=${addIsoWeeks('2026-W45', 1)}&to=2026-W45`, 'from'],
      ['/api/v1/reservations?state=lost', 'state'],
      ['/api/v1/reservations/on-time?from=2026-13', 'from'],
    ])('%s is a 400 naming %s', async (path, field) => {
      const { status, body } = await t.get<ErrorBody>(path);
      expect(status).toBe(400);
      expect(body.error.message).toContain(field);
    });

    test.each([
      ['an unknown checklist item', { kioskId: 'P-001', inspector: 'c', result: 'pass', checklist: { wheels: 'ok' } }, 'wheels'],
      ['a bad result', { kioskId: 'P-001', inspector: 'c', result: 'fine' }, 'result'],
      ['an unknown machine', { kioskId: 'NOPE-1', inspector: 'c', result: 'pass' }, 'kioskId'],
    ])('an inspection with %s is a 400 naming %s', async (_name, body, field) => {
      const res = await post('/api/v1/inspections', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.message).toContain(field);
    });
  });
});
