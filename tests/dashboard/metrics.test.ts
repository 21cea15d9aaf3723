import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/** The value of one sample line of the text exposition format (`name{labels} value`). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics and the health of the spool', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => {
    await t.stop();
  });

  test('after traffic, Prometheus sees messages, rejections, stored events, acks, machines and latency', async () => {
    const token = await t.provision('M1');
    const kiosk = await t.connectKiosk('M1', token);
    const acked: string[] = [];
    let ackMessages = 0;
    kiosk.on('message', (_topic, payload) => {
      ackMessages += 1;
      acked.push(...(JSON.parse(payload.toString()) as { stored: string[] }).stored);
    });
    await kiosk.subscribeAsync('kiosks/M1/acks', { qos: 1 });
    const ts = new Date().toISOString();
    for (let i = 0; i < 5; i++)
      await kiosk.publishAsync('kiosks/M1/events', JSON.stringify({ id: `m1-${i}`, ts, type: 'loan' }), { qos: 1 });
    await kiosk.publishAsync('kiosks/M1/events', 'not json', { qos: 1 });
    await kiosk.publishAsync('kiosks/M1/events', JSON.stringify({ id: 'm1-0', ts, type: 'loan' }), { qos: 1 }); // a resend
    await expect.poll(() => acked.length).toBe(6);

    expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(401); // Prometheus scrapes with a bearer token
    const res = await fetch(`${t.baseUrl}/metrics`, { headers: (await t.bearer('metrics')).headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'kiosk_fleet_messages_in_total')).toBeGreaterThanOrEqual(7);
    expect(sample(text, 'kiosk_fleet_events_stored_total')).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'kiosk_fleet_events_duplicate_total')).toBe(1);
    // One ack message per machine per store commit: events that arrive during a commit share one.
    expect(sample(text, 'kiosk_fleet_acks_sent_total')).toBe(ackMessages);
    expect(sample(text, 'kiosk_fleet_dead_letters_total')).toBe(1);
    expect(sample(text, 'kiosk_fleet_messages_rejected_total{reason="invalid_json"}')).toBe(1);
    expect(sample(text, 'kiosk_fleet_connected_machines')).toBe(1);
    expect(sample(text, 'kiosk_fleet_spool_depth_events')).toBe(0);
    expect(sample(text, 'kiosk_fleet_spool_dropped_total')).toBe(0);
    expect(sample(text, 'kiosk_fleet_event_to_store_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'kiosk_fleet_event_to_store_seconds_bucket{le="+Inf"}')).toBeGreaterThanOrEqual(5);
    // The process's and the Node runtime's standard metrics, by their standard names.
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_version_info',
    ])
      expect(text).toMatch(new RegExp(`^${name}[ {]`, 'm'));
  });

  test('while the store fails, machines are acked from the spool, and health and metrics say so', async () => {
    const token = await t.provision('M2');
    const kiosk = await t.connectKiosk('M2', token);
    const acked: string[] = [];
    kiosk.on('message', (_topic, payload) => acked.push(...(JSON.parse(payload.toString()) as { stored: string[] }).stored));
    await kiosk.subscribeAsync('kiosks/M2/acks', { qos: 1 });
    const store = t.platform.store;
    const append = store.append.bind(store);
    store.append = () => Promise.reject(new Error('disk unavailable'));
    try {
      const ts = new Date().toISOString();
      for (let i = 0; i < 3; i++)
        await kiosk.publishAsync('kiosks/M2/events', JSON.stringify({ id: `m2-${i}`, ts, type: 'return' }), { qos: 1 });
      await expect.poll(() => acked.length).toBe(3);
      type Health = { status: string; components: Record<string, { state: string; detail: string; depth?: number }> };
      const health = await t.get<Health>('/api/v1/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.components.store).toMatchObject({
        state: 'degraded',
        detail: expect.stringContaining('3 events spooled') as string,
      });
      expect(health.body.components.spool).toMatchObject({ state: 'degraded', depth: 3 });
      const scraped = await (await t.bearer('metrics')).get<string>('/metrics');
      expect(sample(scraped.body, 'kiosk_fleet_spool_depth_events')).toBe(3);
    } finally {
      store.append = append;
    }
    await expect.poll(() => t.platform.collector.ingest.stats().spoolDepth, { timeout: 10_000 }).toBe(0);
    expect((await store.readEvents({ kioskId: 'M2' })).map((e) => e.id).sort()).toEqual(['m2-0', 'm2-1', 'm2-2']);
    const healed = await t.get<{ components: Record<string, { state: string }> }>('/api/v1/health');
    expect(healed.body.components.spool).toMatchObject({ state: 'ok' });
    expect(healed.body.components.store).toMatchObject({ state: 'ok' });
  });

  test('health names the spool, with its depth', async () => {
    const health = await t.get<{ components: Record<string, { state: string; depth?: number }> }>('/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body.components.spool).toMatchObject({ state: 'ok', depth: 0 });
    expect(health.body.components.store).toMatchObject({ state: 'ok' });
  });
});
