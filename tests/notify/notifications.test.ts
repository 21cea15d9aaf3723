import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WebhookPayload } from '../../collector/notify/webhook.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { status } from '../health/health-client.js';
import { closedPort, startHttpReceiver, startSmtpReceiver } from './receivers.js';

const HOUR_MS = 3_600_000;
const DINGTALK_SECRET = 'SEC0123456789abcdef';

describe('notifications to real receivers on loopback', () => {
  let dir: string;
  let t: TestPlatform;
  let hook: Awaited<ReturnType<typeof startHttpReceiver>>;
  let robots: Awaited<ReturnType<typeof startHttpReceiver>>;
  let flaky: Awaited<ReturnType<typeof startHttpReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  const machines = new Map<string, MqttClient>();
  let seq = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-notify-'));
    hook = await startHttpReceiver();
    robots = await startHttpReceiver(() => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } }));
    flaky = await startHttpReceiver((_request, count) =>
      count <= 2 ? { status: 503, body: { error: 'busy' } } : { status: 200, body: {} },
    );
    smtp = await startSmtpReceiver();
    const config = {
      channels: [
        {
          name: 'hook',
          type: 'webhook',
          language: 'en',
          url: `${hook.url}/alerts`,
          headers: { authorization: 'Bearer hook-secret' },
        },
        { name: 'crew-wecom', type: 'wecom', language: 'en', url: `${robots.url}/cgi-bin/webhook/send?key=wecom-key` },
        {
          name: 'managers-dingtalk',
          type: 'dingtalk',
          language: 'en',
          url: `${robots.url}/robot/send?access_token=ding-token`,
          secret: DINGTALK_SECRET,
        },
        {
          name: 'crew-mail',
          type: 'email',
          language: 'en',
          smtp: { host: '127.0.0.1', port: smtp.port },
          from: 'kiosk-fleet@library.example',
          to: ['crew@library.example'],
        },
        { name: 'flaky', type: 'webhook', url: `${flaky.url}/flaky` },
        { name: 'broken', type: 'webhook', url: `http://127.0.0.1:${await closedPort()}/down` },
      ],
      rules: [
        { channels: ['hook'] },
        { channels: ['crew-wecom'], severities: ['critical'], kinds: ['opened', 'escalated'] },
        { channels: ['managers-dingtalk'], kinds: ['escalated'], minStep: 2 },
        { channels: ['crew-mail', 'flaky', 'broken'], severities: ['critical'], kinds: ['opened'] },
      ],
      groupWindowMs: 300,
      retry: { initialDelayMs: 100, maxDelayMs: 400, timeoutMs: 2_000 },
    };
    await writeFile(join(dir, 'notify.json'), JSON.stringify(config));
    t = await startTestPlatform({ NOTIFY_CONFIG: join(dir, 'notify.json'), OFFLINE_AFTER_MS: '600000' });
    for (const id of ['N-001', 'N-002', 'N-003', 'N-004', 'N-005', 'N-006']) {
      const client = await t.connectKiosk(id, await t.provision(id), {
        will: { topic: `kiosks/${id}/status`, payload: Buffer.from(status('offline', 'b1')), qos: 1, retain: true },
      });
      await client.publishAsync(`kiosks/${id}/status`, status('online', 'b1'), { qos: 1, retain: true });
      machines.set(id, client);
    }
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([hook?.close(), robots?.close(), flaky?.close(), smtp?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const publishFault = (kioskId: string, severity: string, code: string, component: string) =>
    machines.get(kioskId)!.publishAsync(
      `kiosks/${kioskId}/events`,
      JSON.stringify({
        id: `${kioskId}-b1-${++seq}`,
        ts: new Date().toISOString(),
        type: 'fault',
        faultId: `${kioskId}-f${seq}`,
        component,
        code,
        severity,
      }),
      { qos: 1 },
    );
  const hookPayloads = () => hook.received.map((r) => r.body as WebhookPayload);

  test('a critical fault reaches the webhook, the WeCom robot and the mailbox in their documented formats', async () => {
    await publishFault('N-001', 'critical', 'RFID_TIMEOUT', 'rfid_reader');
    await expect.poll(() => hookPayloads().length, { timeout: 5_000 }).toBe(1);
    const payload = hookPayloads()[0]!;
    expect(payload).toMatchObject({
      source: 'kiosk-fleet',
      kind: 'opened',
      severity: 'critical',
      district: 'Test',
      count: 1,
      headline: '[critical] New alert - N-001: rfid reader: RFID_TIMEOUT',
      alerts: [
        {
          kioskId: 'N-001',
          kioskName: 'Test machine N-001',
          component: 'rfid_reader',
          severity: 'critical',
          title: 'rfid reader: RFID_TIMEOUT',
        },
      ],
    });
    expect(hook.received[0]!.path).toBe('/alerts');

    await expect.poll(() => robots.received.filter((r) => r.path === '/cgi-bin/webhook/send').length).toBe(1);
    const wecom = robots.received.find((r) => r.path === '/cgi-bin/webhook/send')!;
    expect(wecom.query.get('key')).toBe('wecom-key');
    expect(wecom.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { content: expect.stringContaining('N-001 Test machine N-001 (Test): rfid reader: RFID_TIMEOUT') },
    });

    await expect.poll(() => smtp.received.length, { timeout: 5_000 }).toBe(1);
    const mail = smtp.received[0]!;
    expect(mail).toMatchObject({ from: 'kiosk-fleet@library.example', to: ['crew@library.example'] });
    expect(mail.raw).toContain('Subject: [critical] New alert - N-001: rfid reader: RFID_TIMEOUT');
  });

  test('a receiver answering 503 is retried until it takes the message; one that is down is reported as retrying with its backlog, and nothing else waited for it', async () => {
    await expect.poll(() => flaky.received.length, { timeout: 5_000 }).toBe(1);
    expect(flaky.attempts()).toBe(3);
    await expect
      .poll(
        async () =>
          (
            await t.get<{ channels: { name: string; state: string; failed: number }[] }>('/api/v1/notifications')
          ).body.channels.find((c) => c.name === 'broken'),
        { timeout: 5_000 },
      )
      .toMatchObject({ state: 'retrying', queued: 1, held: 0, oldestAgeMs: expect.any(Number) });
    const health = await t.get<{ status: string; components: { notifications: { state: string; detail: string } } }>(
      '/api/v1/health',
    );
    expect(health.body.status).toBe('degraded');
    expect(health.body.components.notifications).toMatchObject({
      state: 'degraded',
      detail: expect.stringContaining('broken retrying (1 waiting'),
    });
    const channels = (await t.get<{ channels: { name: string; state: string; sent: number }[] }>('/api/v1/notifications')).body
      .channels;
    expect(channels.filter((c) => c.name !== 'broken').map((c) => c.state)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  test('a minor fault goes only where the rules let it: the webhook, not the critical-only robot and mailbox', async () => {
    const robotsBefore = robots.received.length;
    await publishFault('N-002', 'minor', 'PAPER_LOW', 'receipt_printer');
    await expect.poll(() => hookPayloads().length, { timeout: 5_000 }).toBe(2);
    expect(hookPayloads()[1]).toMatchObject({ severity: 'minor', alerts: [{ kioskId: 'N-002' }] });
    await t.platform.notifications!.flush();
    expect(robots.received.length).toBe(robotsBefore);
    expect(smtp.received.length).toBe(1);
  });

  test('a district power cut is one message listing every machine, not one per machine', async () => {
    const before = hookPayloads().length;
    for (const id of ['N-003', 'N-004', 'N-005', 'N-006']) machines.get(id)!.stream.destroy();
    await expect.poll(() => hookPayloads().length, { timeout: 5_000 }).toBe(before + 1);
    const message = hookPayloads().at(-1)!;
    expect(message).toMatchObject({
      kind: 'opened',
      district: 'Test',
      count: 4,
      headline: '[critical] New alert - 4 machines in Test',
    });
    expect(message.alerts.map((a) => [a.kioskId, a.title])).toEqual([
      ['N-003', 'Machine offline'],
      ['N-004', 'Machine offline'],
      ['N-005', 'Machine offline'],
      ['N-006', 'Machine offline'],
    ]);
  });

  test('escalations: one message per alert and step; the managers’ robot from the second step, signed', async () => {
    const health = t.platform.fleetHealth.health;
    const openedAt = Math.min(...health.alerts({ states: ['open'] }).map((a) => a.openedAtMs));
    const before = hookPayloads().length;
    await health.checkEscalations(openedAt + 13 * HOUR_MS);
    await health.checkEscalations(openedAt + 13 * HOUR_MS);
    const escalations = () =>
      hookPayloads()
        .slice(before)
        .map((p) => [p.kind, p.step, p.count]);
    await expect.poll(escalations, { timeout: 5_000 }).toEqual([['escalated', 1, 6]]);
    expect(robots.received.filter((r) => r.path === '/robot/send')).toEqual([]);

    await health.checkEscalations(openedAt + 20 * HOUR_MS);
    await expect.poll(escalations, { timeout: 5_000 }).toEqual([
      ['escalated', 1, 6],
      ['escalated', 2, 6],
    ]);
    await expect.poll(() => robots.received.filter((r) => r.path === '/robot/send').length, { timeout: 5_000 }).toBe(1);
    const ding = robots.received.filter((r) => r.path === '/robot/send');
    expect(ding).toHaveLength(1);
    const timestamp = ding[0]!.query.get('timestamp')!;
    expect(ding[0]!.query.get('access_token')).toBe('ding-token');
    expect(ding[0]!.query.get('sign')).toBe(
      createHmac('sha256', DINGTALK_SECRET).update(`${timestamp}\n${DINGTALK_SECRET}`).digest('base64'),
    );
    expect(ding[0]!.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: expect.stringContaining('80 %'), text: expect.stringContaining('- N-003') },
    });
  });
  test('people see each channel’s backlog, send a test message, give a message up (audited), and an alert lists where it went', async () => {
    const broken = async () =>
      (
        await t.get<{ channels: { name: string; queued: number; oldestAgeMs: number | null }[] }>('/api/v1/notifications')
      ).body.channels.find((c) => c.name === 'broken')!;
    const { queued } = await broken();
    expect(queued).toBeGreaterThan(0);
    expect((await broken()).oldestAgeMs).toEqual(expect.any(Number));
    const health = await t.get<{ components: { notifications: { outbox: { channel: string; depth: number }[] } } }>(
      '/api/v1/health',
    );
    expect(health.body.components.notifications.outbox).toContainEqual(
      expect.objectContaining({ channel: 'broken', depth: queued }),
    );
    const scraped = await (await t.bearer('metrics')).get<string>('/metrics');
    expect(scraped.body).toContain(`kiosk_fleet_notification_outbox_depth{channel="broken"} ${queued}`);
    expect(scraped.body).toMatch(/kiosk_fleet_notification_outbox_oldest_age_seconds\{channel="broken"\} [1-9]/);

    const maintenance = await t.api('maintenance');
    expect((await maintenance.post('/api/v1/notifications/channels/hook/test')).status).toBe(403);
    const operator = await t.api('operator');
    expect((await operator.post('/api/v1/notifications/channels/nope/test')).status).toBe(404);
    const before = hook.received.length;
    expect((await operator.post('/api/v1/notifications/channels/hook/test')).status).toBe(202);
    await expect
      .poll(() => hook.received.slice(before).map((r) => (r.body as { type: string }).type), { timeout: 5_000 })
      .toEqual(['test']);

    const alertId = hookPayloads()[0]!.alerts[0]!.alertId;
    const alert = await t.get<{ notifications: { channel: string; state: string; deliveredAt: string | null }[] }>(
      `/api/v1/alerts/${alertId}`,
    );
    expect(alert.body.notifications).toContainEqual(
      expect.objectContaining({ channel: 'hook', state: 'sent', deliveredAt: expect.any(String) }),
    );
    expect(alert.body.notifications).toContainEqual(
      expect.objectContaining({ channel: 'broken', state: 'pending', deliveredAt: null }),
    );

    const waiting = await t.get<{ entries: { id: number }[] }>('/api/v1/notifications/outbox?channel=broken&state=pending,held');
    const id = waiting.body.entries[0]!.id;
    const admin = await t.api('admin');
    expect((await admin.post(`/api/v1/notifications/outbox/${id}/give-up`)).body).toMatchObject({
      entry: { state: 'given_up', doneBy: 'admin' },
    });
    expect((await admin.post(`/api/v1/notifications/outbox/${id}/give-up`)).status).toBe(409);
    expect((await broken()).queued).toBeLessThan(queued);
    const audit = await t.get<{ entries: { action: string; target: string; outcome: string }[] }>(
      '/api/v1/audit?action=notification.give_up',
    );
    expect(audit.body.entries.map((e) => [e.action, e.target, e.outcome])).toEqual(
      [
        ['notification.give_up', String(id), 'ok'],
        ['notification.give_up', String(id), 'failed'],
      ].reverse(),
    );
  });
});
