import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EscalationNotice } from '../../collector/health/fleet-health.js';
import type { EscalationPush } from '../../dashboard/socket-events.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { healthClient, status } from './health-client.js';

const HOUR_MS = 3_600_000;

interface AlertBody {
  id: string;
  kioskId: string;
  state: string;
  component: string;
  severity: string;
  openedAt: string;
  acknowledged: { by: string; at: string } | null;
  assignee: { name: string; by: string } | null;
  resolved: { how: string; by: string | null; reason: string } | null;
  escalations: { step: number; percent: number; skipped: boolean }[];
  history: { action: string; by: string | null; detail: string }[];
}
interface ErrorBody {
  error: { code: string };
}

describe('fault alerts over a real broker', () => {
  let t: TestPlatform;
  let api: ReturnType<typeof healthClient>;
  const machines = new Map<string, MqttClient>();
  let seq = 0;

  beforeAll(async () => {
    t = await startTestPlatform();
    api = healthClient(t);
    for (const id of ['A-001', 'A-002', 'A-003']) {
      const client = await t.connectKiosk(id, await t.provision(id));
      await client.publishAsync(`kiosks/${id}/status`, status('online', 'b1'), { qos: 1, retain: true });
      machines.set(id, client);
    }
  });
  afterAll(async () => t?.stop());

  async function publish(kioskId: string, event: Record<string, unknown>): Promise<void> {
    const body = { id: `${kioskId}-b1-${++seq}`, ts: new Date().toISOString(), ...event };
    await machines.get(kioskId)!.publishAsync(`kiosks/${kioskId}/events`, JSON.stringify(body), { qos: 1 });
  }
  const fault = (faultId: string, component = 'rfid_reader', code = 'RFID_TIMEOUT') => ({
    type: 'fault',
    faultId,
    component,
    code,
    severity: 'critical',
    blocksLending: true,
  });

  async function openAlertOf(kioskId: string): Promise<AlertBody> {
    let found: AlertBody | undefined;
    await expect
      .poll(async () => {
        found = (await t.get<{ alerts: AlertBody[] }>(`/api/v1/alerts?kiosk=${kioskId}&state=open`)).body.alerts[0];
        return found !== undefined;
      })
      .toBe(true);
    return found!;
  }

  test('a blocking fault opens one alert; a repeat on the same component folds into it; the machine clearing it resolves it', async () => {
    await publish('A-001', fault('f1'));
    const alert = await openAlertOf('A-001');
    expect(alert).toMatchObject({ component: 'rfid_reader', severity: 'critical', state: 'open' });
    expect(await api.serviceState('A-001')).toBe('out_of_service');

    await publish('A-001', fault('f2'));
    await expect
      .poll(async () => (await t.get<{ alert: AlertBody }>(`/api/v1/alerts/${alert.id}`)).body.alert.history.length)
      .toBe(2);
    expect((await t.get<{ alerts: AlertBody[] }>('/api/v1/alerts?kiosk=A-001')).body.alerts).toHaveLength(1);

    await publish('A-001', { type: 'fault_cleared', faultId: 'f1' });
    await publish('A-001', { type: 'fault_cleared', faultId: 'f2' });
    await expect
      .poll(async () => (await t.get<{ alert: AlertBody }>(`/api/v1/alerts/${alert.id}`)).body.alert.state)
      .toBe('resolved');
    const resolved = (await t.get<{ alert: AlertBody }>(`/api/v1/alerts/${alert.id}`)).body.alert;
    expect(resolved.resolved).toEqual({ at: expect.any(String), how: 'automatic', by: null, reason: 'fault_cleared' });
    expect(resolved.history.at(-1)).toMatchObject({ action: 'resolved', by: null, detail: 'machine reported the fault cleared' });
    expect(await api.serviceState('A-001')).toBe('in_service');
  });

  test('an acknowledged alert stops escalating; an unacknowledged one sends each step once, and steps passed unobserved are recorded as skipped, not sent', async () => {
    const socket = await t.socket('maintenance');
    const pushed: EscalationPush[] = [];
    socket.on('escalation', (e: EscalationPush) => pushed.push(e));
    // What the notifiers listen to: a skipped step must never reach them.
    const notified: string[] = [];
    const onEscalation = (n: EscalationNotice) => notified.push(`${n.alert.kioskId}:${n.percent}`);
    t.platform.fleetHealth.health.on('escalation', onEscalation);
    try {
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      await publish('A-002', fault('g1', 'door', 'DOOR_OPEN'));
      await publish('A-003', fault('h1', 'shelf_mechanism', 'SHELF_JAM'));
      const acked = await openAlertOf('A-002');
      const ignored = await openAlertOf('A-003');
      const health = t.platform.fleetHealth.health;
      const at = (alert: AlertBody, hours: number) => Date.parse(alert.openedAt) + hours * HOUR_MS;

      const first = await health.checkEscalations(at(ignored, 13));
      expect(first.map((n) => [n.alert.kioskId, n.step, n.percent]).sort()).toEqual([
        ['A-002', 1, 50],
        ['A-003', 1, 50],
      ]);
      expect(await health.checkEscalations(at(ignored, 13))).toEqual([]); // once per alert and step

      const ack = await api.post<{ alert: AlertBody }>(
        `/api/v1/alerts/${acked.id}/ack`,
        { note: 'on my way' },
        await t.user('wang.fang', 'maintenance'),
      );
      expect(ack.status).toBe(200);
      expect(ack.body.alert).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'wang.fang' } });

      const later = await health.checkEscalations(at(ignored, 25));
      expect(later.map((n) => [n.alert.kioskId, n.step, n.percent])).toEqual([['A-003', 3, 100]]);
      expect(
        (await t.get<{ alert: AlertBody }>(`/api/v1/alerts/${acked.id}`)).body.alert.escalations.map((e) => e.percent),
      ).toEqual([50]);
      // 80 % passed while nobody was checking: recorded as skipped (in the alert's history), not sent.
      const ignoredNow = (await t.get<{ alert: AlertBody }>(`/api/v1/alerts/${ignored.id}`)).body.alert;
      expect(ignoredNow.escalations.map((e) => [e.percent, e.skipped])).toEqual([
        [50, false],
        [80, true],
        [100, false],
      ]);
      expect(ignoredNow.history.filter((h) => h.action.startsWith('escalat')).map((h) => h.action)).toEqual([
        'escalated',
        'escalation_skipped',
        'escalated',
      ]);
      expect(await health.checkEscalations(at(ignored, 30))).toEqual([]);
      await expect
        .poll(() => pushed.map((p) => `${p.alert.kioskId}:${p.percent}`).sort())
        .toEqual(['A-002:50', 'A-003:100', 'A-003:50']);
      expect(notified.sort()).toEqual(['A-002:50', 'A-003:100', 'A-003:50']);
    } finally {
      t.platform.fleetHealth.health.off('escalation', onEscalation);
      socket.close();
    }
  });

  test('assign, comment and resolve are kept with who and when; a resolved alert refuses more actions', async () => {
    await publish('A-001', fault('k1', 'card_reader', 'CARD_READER_FAULT'));
    const alert = await openAlertOf('A-001');
    // Who acted is the signed-in person, never a name in the body.
    const li = await t.user('li.na', 'maintenance');
    const zhao = await t.user('zhao.lei', 'maintenance');
    expect((await api.post(`/api/v1/alerts/${alert.id}/assign`, { assignee: 'zhao.lei' }, li)).status).toBe(200);
    expect(
      (await api.post(`/api/v1/alerts/${alert.id}/comment`, { text: 'reader replaced from the reserve machine' }, zhao)).status,
    ).toBe(200);
    const resolved = await api.post<{ alert: AlertBody }>(`/api/v1/alerts/${alert.id}/resolve`, {}, zhao);
    expect(resolved.body.alert).toMatchObject({
      state: 'resolved',
      assignee: { name: 'zhao.lei', by: 'li.na' },
      resolved: { how: 'manual', by: 'zhao.lei', reason: 'crew' },
    });
    expect(resolved.body.alert.history.map((h) => [h.action, h.by])).toEqual([
      ['opened', null],
      ['assigned', 'li.na'],
      ['commented', 'zhao.lei'],
      ['resolved', 'zhao.lei'],
    ]);
    const again = await api.post<ErrorBody>(`/api/v1/alerts/${alert.id}/ack`, {}, li);
    expect([again.status, again.body.error.code]).toEqual([409, 'ALERT_RESOLVED']);
    const audit = await t.get<{ events: { type: string; by: string }[] }>(
      '/api/v1/events?kiosk=A-001&type=alert_assigned,alert_commented,alert_resolved&order=asc',
    );
    expect(audit.body.events.map((e) => [e.type, e.by])).toEqual([
      ['alert_assigned', 'li.na'],
      ['alert_commented', 'zhao.lei'],
      ['alert_resolved', 'zhao.lei'],
    ]);
  });

  test.each([
    ['a who in the body (it is the signed-in person)', '/ack', { by: 'x' }, 400, 'INVALID_REQUEST'],
    ['an unknown field', '/ack', { colour: 'red' }, 400, 'INVALID_REQUEST'],
    ['an assignment without assignee', '/assign', {}, 400, 'INVALID_REQUEST'],
  ])('an action with %s is refused', async (_name, path, body, statusCode, code) => {
    await publish('A-002', fault(`v-${seq}`, 'screen', 'TOUCHSCREEN_FAULT'));
    const alert = await openAlertOf('A-002');
    const res = await api.post<ErrorBody>(`/api/v1/alerts/${alert.id}${path}`, body);
    expect([res.status, res.body.error.code]).toEqual([statusCode, code]);
  });

  test('an unknown alert is a 404; actions without credentials are refused', async () => {
    const res = await api.post<ErrorBody>('/api/v1/alerts/AL-nope-1/ack', {});
    expect([res.status, res.body.error.code]).toEqual([404, 'ALERT_NOT_FOUND']);
    const anonymous = await fetch(`${t.baseUrl}/api/v1/alerts/AL-nope-1/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    expect((await t.get<ErrorBody>('/api/v1/alerts?state=closed')).status).toBe(400);
    expect((await t.get<{ count: number }>('/api/v1/alerts?district=Test')).body.count).toBeGreaterThan(0);
    expect((await t.get<{ count: number }>('/api/v1/alerts?district=Nowhere')).body.count).toBe(0);
  });

  test('monthly fault response: restored within the promise, median and p90 time to restore', async () => {
    const res = await t.get<{
      promiseHours: number;
      months: { alertsOpened: number; restored: number; shareRestoredWithinPromise: number | null }[];
    }>('/api/v1/fault-response');
    expect(res.status).toBe(200);
    expect(res.body.promiseHours).toBe(24);
    expect(res.body.months[0]!.alertsOpened).toBeGreaterThanOrEqual(3);
    expect(res.body.months[0]!.restored).toBeGreaterThanOrEqual(2);
    expect(res.body.months[0]!.shareRestoredWithinPromise).toBe(1);
  });
});
