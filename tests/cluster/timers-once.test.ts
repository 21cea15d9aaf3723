import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPostgresEventStore } from '../../collector/store/postgres-event-store.js';
import type { EventRecord } from '../../collector/store/event-store.js';
import type { WebhookPayload } from '../../collector/notify/webhook.js';
import { startHttpReceiver } from '../notify/receivers.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';
import { skipWithoutRedis, useRedis } from '../support/redis.js';

const HOUR_MS = 3_600_000;
/** Long enough that the nodes' own interval timers never find a machine silent during the test. */
const OFFLINE_AFTER_MS = HOUR_MS;
const KIOSK = 'TM-01';

const record = (id: string, type: string, tsMs: number, fields: Record<string, unknown>, kioskId = KIOSK): EventRecord => {
  const ts = new Date(tsMs).toISOString();
  return { id, kioskId, type, ts, tsMs, receivedMs: tsMs, data: { id, ts, type, ...fields } };
};

/*
 * Both nodes run every timer on the same shared history; each thing a timer records must be in
 * the history once, and be announced (to the notifiers) by one node only.
 */
describe.skipIf(skipWithoutRedis || skipWithoutPostgres)('timers of two nodes on one PostgreSQL fire once', () => {
  const redis = useRedis();
  const postgres = usePostgres();
  const nodes: TestPlatform[] = [];
  let machine: MqttClient | undefined;
  let faultAtMs: number;
  let reservedAtMs: number;
  let dir: string | undefined;
  let hook: Awaited<ReturnType<typeof startHttpReceiver>> | undefined;
  const announced = { escalations: [] as string[], reservationNotices: [] as string[] };

  beforeAll(async () => {
    const { url } = await postgres.createDatabase();
    // Both nodes notify one webhook of every escalation, through the outbox they share.
    hook = await startHttpReceiver();
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-timers-'));
    const notifyConfig = {
      channels: [{ name: 'hook', type: 'webhook', language: 'en', url: `${hook.url}/alerts` }],
      rules: [{ channels: ['hook'], kinds: ['escalated'] }],
      groupWindowMs: 0,
    };
    await writeFile(join(dir, 'notify.json'), JSON.stringify(notifyConfig));
    const settings = {
      CLUSTER_REDIS_URL: redis.url,
      DATABASE_URL: url,
      OFFLINE_AFTER_MS: String(OFFLINE_AFTER_MS),
      NOTIFY_CONFIG: join(dir, 'notify.json'),
    };
    // A first start makes the schema and the first admin (two first starts at once are another test's matter).
    await (await startTestPlatform({ ...settings, NODE_NAME: 'node-0' })).stop();
    // The history both nodes find when they start: a machine online with a blocking fault an hour
    // old (its escalations fall due after 12, 19.2 and 24 hours of the promise), and a reservation
    // 10 of its 72 hours old (at risk after 57.6 hours, breached after 72).
    const nowMs = Date.now();
    faultAtMs = nowMs - HOUR_MS;
    reservedAtMs = nowMs - 10 * HOUR_MS;
    const seed = await openPostgresEventStore({ url, timeZone: 'Asia/Shanghai' });
    try {
      await seed.append([
        record(`status-${KIOSK}-seed`, 'status', faultAtMs - HOUR_MS, {
          state: 'online',
          bootId: 'b0',
          sentTs: new Date(faultAtMs - HOUR_MS).toISOString(),
        }),
        record(`${KIOSK}-fault-1`, 'fault', faultAtMs, {
          faultId: 'f1',
          component: 'rfid_reader',
          code: 'RFID_TIMEOUT',
          severity: 'critical',
          blocksLending: true,
        }),
        record('reservation_created-R-1', 'reservation_created', reservedAtMs, {
          reservationId: 'R-1',
          destination: { kind: 'kiosk', kioskId: KIOSK },
        }),
      ]);
    } finally {
      await seed.close();
    }
    // Started at once: both look for due escalations and notices while starting.
    nodes.push(...(await Promise.all(['node-a', 'node-b'].map((name) => startTestPlatform({ ...settings, NODE_NAME: name })))));
    for (const [i, node] of nodes.entries()) {
      node.platform.fleetHealth.health.on('escalation', (n) => announced.escalations.push(`${i}:${n.alert.id}:${n.step}`));
      node.platform.promises.reservations.on('notice', (n) =>
        announced.reservationNotices.push(`${i}:${n.reservationId}:${n.step}`),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await machine?.endAsync();
    await Promise.all(nodes.map((n) => n.stop()));
    await hook?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const history = async (type: string) => {
    const records = await nodes[0]!.platform.store.readEvents({ types: [type] });
    return records.map((r) => r.id).sort();
  };

  test('each escalation step, due on both nodes at once, is recorded once and announced by one node', async () => {
    const [a, b] = nodes.map((n) => n.platform.fleetHealth.health);
    // Both nodes know the alert (from the history they loaded); nothing is due yet.
    expect(a!.alerts({ states: ['open'] }).map((x) => x.kioskId)).toEqual([KIOSK]);
    expect(b!.alerts({ states: ['open'] }).map((x) => x.kioskId)).toEqual([KIOSK]);
    const alertId = a!.alerts({ states: ['open'] })[0]!.id;
    expect(await history('alert_escalated')).toEqual([]);

    for (const hours of [13, 20, 25]) {
      const atMs = faultAtMs + hours * HOUR_MS;
      // Both nodes check at once, at the same instant and a moment apart (their clocks differ).
      const [fromA, fromB] = await Promise.all([a!.checkEscalations(atMs), b!.checkEscalations(atMs + 1_000)]);
      expect(fromA.length + fromB.length).toBe(1);
      // Both check again (the next tick, a restart): nothing more.
      await Promise.all([a!.checkEscalations(atMs + 10_000), b!.checkEscalations(atMs + 20_000)]);
    }

    const steps = [1, 2, 3].map((step) => `alert_escalated-${alertId}-${step}`);
    expect(await history('alert_escalated')).toEqual(steps);
    expect(announced.escalations.map((e) => e.slice(2)).sort()).toEqual([1, 2, 3].map((step) => `${alertId}:${step}`));

    // Each step reaches the webhook once (and no node has a second message for it in the outbox).
    const sentSteps = () =>
      hook!.received
        .map((r) => r.body as WebhookPayload)
        .filter((p) => p.type === 'alert' && p.kind === 'escalated')
        .map((p) => p.step)
        .sort();
    // The node holding the sender lease sends what the other recorded at its next look (every 10 s).
    await expect.poll(sentSteps, { timeout: 40_000 }).toEqual([1, 2, 3]);
    for (const node of nodes) {
      const entries = await node.platform.notifications!.list({ channel: 'hook', limit: 50 });
      expect(entries.map((e) => e.state)).toEqual(['sent', 'sent', 'sent']);
    }
  }, 60_000);

  test('each reservation notice, due on both nodes at once, is recorded once and announced by one node', async () => {
    const services = nodes.map((n) => n.platform.promises.reservations);
    expect(services.map((s) => s.get('R-1')?.state)).toEqual(['open', 'open']);
    for (const hours of [58, 73]) {
      const atMs = reservedAtMs + hours * HOUR_MS;
      const found = await Promise.all(services.map((s, i) => s.checkNotices(atMs + i * 1_000)));
      expect(found.flat()).toHaveLength(1);
      await Promise.all(services.map((s, i) => s.checkNotices(atMs + 10_000 + i * 1_000)));
    }
    expect(await history('reservation_notice')).toEqual(['res-notice-R-1-at_risk', 'res-notice-R-1-breached']);
    expect(announced.reservationNotices.map((e) => e.slice(2)).sort()).toEqual(['R-1:at_risk', 'R-1:breached']);
  });

  test('a machine that goes silent on the node holding it is marked offline once, by that node', async () => {
    const [a, b] = nodes;
    const token = await a!.provision(KIOSK);
    machine = await a!.connectKiosk(KIOSK, token);
    const onlineAt = new Date().toISOString();
    await machine.publishAsync(`kiosks/${KIOSK}/status`, JSON.stringify({ state: 'online', ts: onlineAt, bootId: 'b1' }), {
      qos: 1,
      retain: true,
    });
    // Both nodes' live pictures say online (node B from the history it loaded; node A heard it).
    await expect.poll(() => a!.platform.collector.fleet.all().find((s) => s.kioskId === KIOSK)?.connection).toBe('online');
    expect(b!.platform.collector.fleet.all().find((s) => s.kioskId === KIOSK)?.connection).toBe('online');
    await expect.poll(async () => (await history('status')).length).toBe(2);

    // The machine then says nothing. Both detectors look now, and again once the timeout has passed.
    const detectors = nodes.map((n) => n.platform.fleetHealth.silence);
    const nowMs = Date.now();
    await Promise.all(detectors.map((d) => d.check(nowMs)));
    const later = nowMs + OFFLINE_AFTER_MS + 60_000;
    const [byA, byB] = await Promise.all(detectors.map((d) => d.check(later)));
    expect({ byA, byB }).toEqual({ byA: [KIOSK], byB: [] });
    await Promise.all(detectors.map((d) => d.check(later + 60_000)));

    const silent = await nodes[0]!.platform.store.readEvents({ kioskId: KIOSK, types: ['kiosk_silent'] });
    expect(silent).toHaveLength(1);
    // Dated from when node A last heard the machine, not from when node B first looked.
    expect(Date.parse(String(silent[0]!.data['lastHeardAt']))).toBeLessThan(nowMs);
  });

  test("each node's start is its own marker, named after it", async () => {
    const started = await nodes[0]!.platform.store.readEvents({ kioskId: '', types: ['platform_started'] });
    expect(started.map((r) => r.data['node']).sort()).toEqual(['node-0', 'node-a', 'node-b']);
  });
});
