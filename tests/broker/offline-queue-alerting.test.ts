import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/**
 * An external collector (persistent session, clean=false) away while machines publish: past
 * OFFLINE_QUEUE_MAX_MESSAGES the broker drops and counts, and the platform shows it where an
 * operator or Prometheus alerting looks: the health route and /metrics.
 */
let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ OFFLINE_QUEUE_MAX_MESSAGES: '3' });
});
afterAll(async () => {
  await t.stop();
});

test('drops from a full offline queue turn the broker degraded in health and count in /metrics', async () => {
  const external = await mqtt.connectAsync(t.mqttUrl, {
    clientId: 'collector-external',
    username: 'collector',
    password: t.platform.foundation.secrets.serviceToken,
    clean: false,
    reconnectPeriod: 0,
  });
  await external.subscribeAsync('kiosks/+/events', { qos: 1 });
  await external.endAsync();

  const kiosk = await t.connectKiosk('Q-001', await t.provision('Q-001'));
  for (let i = 0; i < 8; i++) await kiosk.publishAsync('kiosks/Q-001/events', '[]', { qos: 1 });

  const health = await t.get<{ components: { broker: { state: string; detail: string; offlineQueueDropped: number } } }>(
    '/api/v1/health',
  );
  expect(health.body.components.broker).toMatchObject({ state: 'degraded', offlineQueueDropped: 5 });
  expect(health.body.components.broker.detail).toContain('5 messages dropped');
  const metrics = await (await t.bearer('metrics')).get<string>('/metrics');
  expect(metrics.body).toMatch(/^kiosk_fleet_broker_offline_queue_dropped_total 5$/m);
  expect(metrics.body).toMatch(/^kiosk_fleet_broker_offline_queue_deepest 3$/m);
  expect(metrics.body).toMatch(/^kiosk_fleet_broker_open_connections \d+$/m);
});
