import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { healthClient, status } from './health-client.js';

interface UptimeBody {
  window: { spec: string; from: string; to: string; countedTo: string; timeZone: string };
  rules: string[];
  fleet: { expectedMs: number; uptimeRatio: number | null; enoughData: boolean; byStateMs: Record<string, number> };
  kiosks: {
    kioskId: string;
    uptimeRatio: number | null;
    enoughData: boolean;
    state: string;
    byStateMs: Record<string, number>;
  }[];
}
interface TimelineBody {
  intervals: { state: string; from: string; to: string }[];
}

describe('uptime over a platform restart', () => {
  let dataDir: string;
  let t: TestPlatform | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-uptime-'));
  });
  afterAll(async () => {
    await t?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('the time the platform was down is unknown for the machine, never counted against it', async () => {
    const first = await startTestPlatform({ DATA_DIR: dataDir });
    const client = await first.connectKiosk('U-001', await first.provision('U-001'));
    await client.publishAsync('kiosks/U-001/status', status('online', 'u1'), { qos: 1, retain: true });
    await expect.poll(() => healthClient(first).serviceState('U-001')).toBe('in_service');
    await first.stop();

    t = await startTestPlatform({ DATA_DIR: dataDir });
    const markers = await t.get<{ events: { type: string }[] }>(
      '/api/v1/events?type=platform_started,platform_stopped&order=asc',
    );
    expect(markers.body.events.map((e) => e.type)).toEqual(['platform_started', 'platform_stopped', 'platform_started']);

    const timeline = await t.get<TimelineBody>('/api/v1/uptime/timeline?kiosk=U-001&window=24h');
    expect(timeline.body.intervals.map((i) => i.state)).toEqual(['in_service', 'unknown', 'in_service']);
    const uptime = await t.get<UptimeBody>('/api/v1/uptime?window=24h&kiosk=U-001');
    expect(uptime.body.kiosks[0]!.uptimeRatio).toBe(1);
    expect(uptime.body.kiosks[0]!.byStateMs['unknown']).toBeGreaterThan(0);
  });
});

describe('GET /api/v1/uptime', () => {
  let t: TestPlatform;
  let api: ReturnType<typeof healthClient>;
  beforeAll(async () => {
    t = await startTestPlatform();
    api = healthClient(t);
  });
  afterAll(async () => t?.stop());

  test('answers the fleet and each machine, with the counting rules beside the figure', async () => {
    const client = await t.connectKiosk('U-101', await t.provision('U-101'));
    await client.publishAsync('kiosks/U-101/status', status('online', 'v1', new Date(Date.now() - 60_000).toISOString()), {
      qos: 1,
      retain: true,
    });
    await client.publishAsync('kiosks/U-101/status', status('offline', 'v1'), { qos: 1, retain: true });
    await expect.poll(() => api.serviceState('U-101')).toBe('offline');
    const res = await t.get<UptimeBody>('/api/v1/uptime?window=24h');
    expect(res.status).toBe(200);
    expect(res.body.rules.join(' ')).toContain('planned maintenance windows');
    expect(res.body.window).toMatchObject({ spec: '24h', timeZone: 'Asia/Shanghai' });
    const kiosk = res.body.kiosks.find((k) => k.kioskId === 'U-101')!;
    expect(kiosk.state).toBe('offline');
    expect(kiosk.uptimeRatio).toBeGreaterThan(0.9);
    expect(kiosk.uptimeRatio).toBeLessThan(1);
    expect(res.body.fleet.expectedMs).toBeGreaterThanOrEqual(60_000);
  });

  test('a machine watched a minute of the day has not enough data; one watched two hours has', async () => {
    const brief = await t.connectKiosk('U-103', await t.provision('U-103'));
    await brief.publishAsync('kiosks/U-103/status', status('online', 'w1', new Date(Date.now() - 60_000).toISOString()), {
      qos: 1,
      retain: true,
    });
    const long = await t.connectKiosk('U-104', await t.provision('U-104'));
    await long.publishAsync('kiosks/U-104/status', status('online', 'w2', new Date(Date.now() - 7_200_000).toISOString()), {
      qos: 1,
      retain: true,
    });
    await expect.poll(() => api.serviceState('U-103')).toBe('in_service');
    await expect.poll(() => api.serviceState('U-104')).toBe('in_service');
    const res = await t.get<UptimeBody>('/api/v1/uptime?window=24h&kiosk=U-103,U-104');
    // Both read 100 %: only the flag tells a minute's watching from two hours'.
    expect(res.body.kiosks.map((k) => [k.kioskId, k.uptimeRatio, k.enoughData])).toEqual([
      ['U-103', 1, false],
      ['U-104', 1, true],
    ]);
  });

  test.each(['2026-11', '2026', '7d', '30d'])('window=%s is accepted', async (window) => {
    expect((await t.get(`/api/v1/uptime?window=${window}`)).status).toBe(200);
  });

  test.each(['1h', '2026-13', 'month'])('window=%s is a 400', async (window) => {
    const res = await t.get<{ error: { code: string } }>(`/api/v1/uptime?window=${window}`);
    expect([res.status, res.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  test('a planned maintenance window shows as maintenance and is left out of the expected time', async () => {
    await t.provision('U-102');
    const from = new Date().toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const planned = await api.post<{ window: { windowId: string } }>(
      '/api/v1/kiosks/U-102/maintenance',
      { from, to, reason: 'quarterly service' },
      await t.user('crew.liu', 'operator'),
    );
    expect(planned.status).toBe(201);
    await expect.poll(() => api.serviceState('U-102')).toBe('maintenance');
    const listed = await t.get<{ windows: { windowId: string; by: string }[] }>('/api/v1/kiosks/U-102/maintenance');
    expect(listed.body.windows).toMatchObject([{ windowId: planned.body.window.windowId, by: 'crew.liu' }]);
    const uptime = await t.get<UptimeBody>('/api/v1/uptime?window=24h&kiosk=U-102');
    expect(uptime.body.kiosks[0]).toMatchObject({ uptimeRatio: null });
  });

  test('maintenance cannot be planned after the fact', async () => {
    const res = await api.post<{ error: { code: string } }>('/api/v1/kiosks/U-102/maintenance', {
      from: new Date(Date.now() - 86_400_000).toISOString(),
      to: new Date().toISOString(),
      reason: 'was down anyway',
    });
    expect([res.status, res.body.error.code]).toEqual([400, 'MAINTENANCE_IN_PAST']);
  });

  test('MTBF and MTTR per machine and component, ageing machines first', async () => {
    const res = await t.get<{
      kiosks: { kioskId: string; failures: number; mtbfHours: number | null }[];
      byComponent: unknown[];
    }>('/api/v1/reliability?window=7d');
    expect(res.status).toBe(200);
    expect(res.body.kiosks.find((k) => k.kioskId === 'U-101')).toMatchObject({ failures: 1 });
  });
});
