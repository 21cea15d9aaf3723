import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NOTIFICATIONS_OFF } from '../../dashboard/notifications-port.js';
import { spoolGaugeOf } from '../../dashboard/spool-gauge.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

describe('parts the settings switch off are present, in a switched-off state', () => {
  test('no notification channels: nothing to show, deliver or act on', async () => {
    expect(NOTIFICATIONS_OFF.isConfigured).toBe(false);
    expect(NOTIFICATIONS_OFF.isSender()).toBe(false);
    expect(NOTIFICATIONS_OFF.health()).toEqual([]);
    expect(await NOTIFICATIONS_OFF.deliveriesOf('any-alert')).toEqual([]);
    expect(await NOTIFICATIONS_OFF.list({ limit: 10 })).toEqual([]);
    expect(await NOTIFICATIONS_OFF.sendTest('webhook', 'admin')).toBeUndefined();
    expect(await NOTIFICATIONS_OFF.giveUp(1, 'admin')).toBe(false);
  });

  test('no spool: a gauge that says so and holds nothing', () => {
    const gauge = spoolGaugeOf(null);
    expect(gauge.isEnabled).toBe(false);
    expect(gauge.stats()).toMatchObject({ depthEvents: 0, bytes: 0, droppedEvents: 0 });
  });
});

describe('a platform without NOTIFY_CONFIG and without a spool (SPOOL_MAX_BYTES=0)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({ SPOOL_MAX_BYTES: '0' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  test('the notifications page says none are configured, and their outbox is 404 NOTIFICATIONS_OFF', async () => {
    const admin = await t.api('admin');
    expect((await admin.get('/api/v1/notifications')).body).toEqual({ isConfigured: false, isSender: false, channels: [] });
    const outbox = await admin.get<{ error: { code: string } }>('/api/v1/notifications/outbox');
    expect(outbox.status).toBe(404);
    expect(outbox.body).toMatchObject({ error: { code: 'NOTIFICATIONS_OFF' } });
  });

  test('the health page lists neither a spool nor notifications, and the service promises answer', async () => {
    const health = await t.get<{ components: Record<string, unknown> }>('/api/v1/health');
    expect(Object.keys(health.body.components)).not.toContain('spool');
    expect(Object.keys(health.body.components)).not.toContain('notifications');
    expect((await t.get('/api/v1/inspections')).status).toBe(200);
    expect((await t.get('/api/v1/reservations')).status).toBe(200);
  });
});
