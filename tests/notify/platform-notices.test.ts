import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EventStore } from '../../collector/store/event-store.js';
import type { PlatformWebhookPayload, WebhookPayload } from '../../collector/notify/webhook.js';
import { status } from '../health/health-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { type ReceivedRequest, startHttpReceiver } from './receivers.js';

type Notice = PlatformWebhookPayload['notices'][number];

describe('platform notices: the platform tells the channels of its own trouble', () => {
  let dir: string;
  let t: TestPlatform;
  let ops: Awaited<ReturnType<typeof startHttpReceiver>>;
  let crew: Awaited<ReturnType<typeof startHttpReceiver>>;
  let robot: Awaited<ReturnType<typeof startHttpReceiver>>;
  let sick: Awaited<ReturnType<typeof startHttpReceiver>>;
  /** Every body the always-failing receiver was sent, tries included. */
  const sickBodies: unknown[] = [];
  let machine: MqttClient;
  let seq = 0;
  const outage = { isDown: false };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-platform-notices-'));
    ops = await startHttpReceiver();
    crew = await startHttpReceiver();
    robot = await startHttpReceiver(() => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } }));
    sick = await startHttpReceiver((request: ReceivedRequest) => {
      sickBodies.push(request.body);
      return { status: 503, body: { error: 'down for maintenance' } };
    });
    const config = {
      channels: [
        { name: 'ops', type: 'webhook', url: `${ops.url}/platform` },
        { name: 'crew', type: 'webhook', url: `${crew.url}/alerts` },
        { name: 'ops-wecom', type: 'wecom', url: `${robot.url}/cgi-bin/webhook/send?key=k` },
        { name: 'sick', type: 'webhook', url: `${sick.url}/sick` },
      ],
      rules: [{ channels: ['crew'] }, { channels: ['ops', 'ops-wecom', 'sick'], sources: ['platform'] }],
      groupWindowMs: 0,
      retry: { initialDelayMs: 50, maxDelayMs: 100, timeoutMs: 2_000 },
      platform: { sampleIntervalMs: 50, debounceMs: 400, dropIntervalMs: 0 },
    };
    await writeFile(join(dir, 'notify.json'), JSON.stringify(config));
    // A spool of 1,500 bytes takes a few events, then refuses: drops of data to report.
    t = await startTestPlatform({ NOTIFY_CONFIG: join(dir, 'notify.json'), SPOOL_MAX_BYTES: '1500' });
    machine = await t.connectKiosk('P-001', await t.provision('P-001'));
    await machine.publishAsync('kiosks/P-001/status', status('online', 'b1'), { qos: 1, retain: true });
    // The store is the real SQLite one; its appends fail while the outage lasts (a full or failing disk).
    const store: EventStore = t.platform.store;
    const append = store.append.bind(store);
    store.append = async (records) => {
      if (outage.isDown) throw new Error('SQLITE_IOERR: disk I/O error');
      return append(records);
    };
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([ops?.close(), crew?.close(), robot?.close(), sick?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const publishLoans = (count: number) =>
    Promise.all(
      Array.from({ length: count }, () =>
        machine.publishAsync(
          'kiosks/P-001/events',
          JSON.stringify({ id: `P-001-b1-${++seq}`, ts: new Date().toISOString(), type: 'loan' }),
          { qos: 1 },
        ),
      ),
    );
  const noticesTo = (receiver: { received: ReceivedRequest[] }) =>
    receiver.received
      .map((r) => r.body as PlatformWebhookPayload)
      .filter((b) => b.type === 'platform')
      .flatMap((b) => b.notices);
  const find = (notices: Notice[], kind: string, what: string) =>
    notices.find((n) => n.kind === kind && ('component' in n ? n.component : n.counter) === what);
  const storeState = async () =>
    (await t.get<{ components: { store: { state: string } } }>('/api/v1/health')).body.components.store.state;

  test('a store outage is told once it lasted the debounce, dropped events at once, and the recovery with its length', async () => {
    await publishLoans(1);
    await expect.poll(() => t.platform.collector.ingest.stats().eventsStored).toBeGreaterThanOrEqual(1);
    expect(noticesTo(ops)).toEqual([]);

    outage.isDown = true;
    await publishLoans(1);
    await expect.poll(storeState).toBe('degraded');
    await publishLoans(20);
    await expect
      .poll(() => find(noticesTo(ops), 'dropped', 'spool'), { timeout: 5_000 })
      .toMatchObject({ counter: 'spool', dropped: expect.any(Number), droppedSinceStart: expect.any(Number) });
    await expect
      .poll(() => find(noticesTo(ops), 'opened', 'store'), { timeout: 5_000 })
      .toMatchObject({ component: 'store', state: 'degraded', detail: expect.stringContaining('SQLITE_IOERR') });
    const opened = find(noticesTo(ops), 'opened', 'store')!;
    // Not before the debounce (400 ms here) from the first look that saw the store failing.
    expect(Date.parse(opened.at) - Date.parse(opened.since)).toBeGreaterThanOrEqual(400);

    const wecom = robot.received.map((r) => JSON.stringify(r.body)).find((b) => b.includes('store degraded'));
    expect(wecom).toContain('[platform]');
    expect(JSON.parse(wecom!)).toMatchObject({ msgtype: 'markdown' });

    outage.isDown = false;
    await expect.poll(() => find(noticesTo(ops), 'recovered', 'store'), { timeout: 15_000 }).toBeDefined();
    const recovered = find(noticesTo(ops), 'recovered', 'store')! as Notice & { durationMs: number };
    expect(recovered).toMatchObject({ state: 'ok', since: opened.since });
    expect(recovered.durationMs).toBeGreaterThan(0);
    expect(noticesTo(ops).filter((n) => n.kind === 'opened' && 'component' in n && n.component === 'store')).toHaveLength(1);
  }, 30_000);

  test('a rule without sources gets no platform notice; alerts carry type "alert"', async () => {
    await machine.publishAsync(
      'kiosks/P-001/events',
      JSON.stringify({
        id: `P-001-b1-${++seq}`,
        ts: new Date().toISOString(),
        type: 'fault',
        faultId: 'P-001-f1',
        component: 'rfid_reader',
        code: 'RFID_TIMEOUT',
        severity: 'critical',
      }),
      { qos: 1 },
    );
    await expect.poll(() => crew.received.length, { timeout: 5_000 }).toBeGreaterThan(0);
    const bodies = crew.received.map((r) => r.body as WebhookPayload);
    expect(bodies.map((b) => b.type)).toEqual(bodies.map(() => 'alert'));
    expect(noticesTo(crew)).toEqual([]);
  });

  test("a failing channel's trouble is told through the others, never through itself", async () => {
    await expect
      .poll(() => find(noticesTo(ops), 'opened', 'notifications'), { timeout: 10_000 })
      .toMatchObject({
        detail: expect.stringContaining('sick'),
      });
    // The failing channel was tried with the store outage's first notice (oldest first, again and
    // again), never with the news of its own trouble.
    expect(sickBodies.length).toBeGreaterThan(0);
    const toSick = sickBodies.flatMap((b) => (b as PlatformWebhookPayload).notices);
    expect(toSick.some((n) => n.kind === 'dropped' || ('component' in n && n.component === 'store'))).toBe(true);
    expect(toSick.some((n) => 'component' in n && n.component === 'notifications')).toBe(false);
  });
});
