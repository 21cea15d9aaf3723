import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { apiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { skipWithoutPostgres, usePostgres } from '../support/postgres.js';
import { startHttpReceiver } from '../notify/receivers.js';

interface Ack {
  stored: string[];
  rejected: { id: string; reason: string }[];
}

/** The whole platform with DATABASE_URL: machines' events land in PostgreSQL, not in DATA_DIR. */
describe.skipIf(skipWithoutPostgres)('the platform on PostgreSQL (DATABASE_URL)', () => {
  const postgres = usePostgres();
  const platforms: TestPlatform[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const t of platforms.splice(0).reverse()) await t.stop();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function start(url: string, settings: Record<string, string> = {}): Promise<TestPlatform> {
    const t = await startTestPlatform({ DATABASE_URL: url, ...settings });
    platforms.push(t);
    return t;
  }
  async function connectWithAcks(t: TestPlatform, id: string): Promise<{ kiosk: MqttClient; acks: Ack[] }> {
    const kiosk = await t.connectKiosk(id, await t.provision(id));
    const acks: Ack[] = [];
    kiosk.on('message', (_topic, payload) => acks.push(JSON.parse(payload.toString()) as Ack));
    await kiosk.subscribeAsync(`kiosks/${id}/acks`, { qos: 1 });
    return { kiosk, acks };
  }

  test('an event published twice is acked twice, stored once in PostgreSQL, and counted once; nothing goes to DATA_DIR', async () => {
    const database = await postgres.createDatabase();
    const t = await start(database.url);
    const { kiosk, acks } = await connectWithAcks(t, 'PG-001');
    const loan = { id: 'PG-001-b1-1', ts: new Date().toISOString(), type: 'loan', itemId: 'B1' };

    await kiosk.publishAsync('kiosks/PG-001/events', JSON.stringify(loan), { qos: 1 });
    await kiosk.publishAsync('kiosks/PG-001/events', JSON.stringify(loan), { qos: 1 });

    await expect.poll(() => acks.filter((a) => a.stored.includes(loan.id)).length).toBe(2);
    expect(await postgres.psql(`SELECT id FROM events WHERE kiosk_id = 'PG-001'`, database.name)).toBe(loan.id);
    expect(await postgres.psql(`SELECT sum(count) FROM daily_counts WHERE kiosk_id = 'PG-001'`, database.name)).toBe('1');
    const view = await t.get<{ kiosk: { today: { loans: number } } }>('/api/v1/kiosks/PG-001');
    expect(view.body.kiosk.today.loans).toBe(1);
    expect(existsSync(join(t.dataDir, 'events.sqlite'))).toBe(false);
    // The export log of reports is in the database too, shared by every node.
    expect(existsSync(join(t.dataDir, 'reports.sqlite'))).toBe(false);
    expect(await postgres.psql(`SELECT count(*) FROM report_exports`, database.name)).toBe('0');
    // So is the audit log: the first admin's creation, and provisioning the machine through the API.
    const audited = async () =>
      (await postgres.psql(`SELECT string_agg(action, ',' ORDER BY seq) FROM audit_log`, database.name)).split(',');
    await expect.poll(audited).toEqual(expect.arrayContaining(['user.create', 'kiosk.provision']));
    const health = await t.get<{ components: { store: { state: string } } }>('/api/v1/health');
    expect(health.body.components.store.state).toBe('ok');
  });

  test('two nodes on one database share the machines, their credentials and the secrets; no registry or secrets file in DATA_DIR', async () => {
    const database = await postgres.createDatabase();
    const nodeA = await start(database.url);
    const nodeB = await start(database.url);
    for (const t of [nodeA, nodeB]) {
      expect(existsSync(join(t.dataDir, 'registry.sqlite'))).toBe(false);
      expect(existsSync(join(t.dataDir, 'secrets.json'))).toBe(false);
    }
    expect(nodeB.platform.foundation.secrets.serviceToken).toBe(nodeA.platform.foundation.secrets.serviceToken);

    // Provisioned through node A's API, the machine connects to node B's broker with its token.
    const token = await nodeA.provision('PG-010');
    // Node B hears of it through the registry's LISTEN, a moment after the commit: refused until then.
    const kiosk = await vi.waitFor(() => nodeB.connectKiosk('PG-010', token, { reconnectPeriod: 0 }), {
      timeout: 10_000,
      interval: 100,
    });
    expect((await nodeB.get<{ kiosk: { name: string } }>('/api/v1/kiosks/PG-010')).body.kiosk.name).toBeTruthy();

    // Revoked through node A: node B cuts the machine off and refuses its token.
    const closed = new Promise<void>((resolve) => kiosk.once('close', () => resolve()));
    const revoked = await (await nodeA.api('admin')).post('/api/v1/kiosks/PG-010/revoke');
    expect(revoked.status).toBe(200);
    await closed;
    await expect(nodeB.connectKiosk('PG-010', token, { reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
    expect(await postgres.psql(`SELECT token_hash FROM kiosks WHERE id = 'PG-010'`, database.name)).toBe('revoked');
  });

  test('two nodes on one database share accounts: signed in on one, valid on the other; signed out on one, refused on both', async () => {
    const database = await postgres.createDatabase();
    const nodeA = await start(database.url);
    const nodeB = await start(database.url);
    expect(existsSync(join(nodeA.dataDir, 'users.sqlite'))).toBe(false);
    // The operator was created through node A's store; node B's API takes node A's session.
    const onA = await nodeA.api('operator');
    const onB = apiClient(nodeB.baseUrl, onA.headers, onA.csrfToken);
    expect((await onB.get('/api/v1/auth/me')).status).toBe(200);
    expect((await onB.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await onA.get('/api/v1/auth/me')).status).toBe(401);
    // A token issued on node B works on node A.
    const bearer = await nodeB.bearer('manager');
    expect((await apiClient(nodeA.baseUrl, bearer.headers).get('/api/v1/kiosks')).status).toBe(200);
  });

  test('two nodes with notifications share one outbox in the database: each message is sent once; no notifications.sqlite', async () => {
    const database = await postgres.createDatabase();
    const hook = await startHttpReceiver();
    cleanups.push(() => hook.close());
    const dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-notify-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = {
      channels: [{ name: 'hook', type: 'webhook', url: `${hook.url}/hook` }],
      rules: [{ channels: ['hook'] }],
      groupWindowMs: 0,
      retry: { initialDelayMs: 100, maxDelayMs: 400, timeoutMs: 2_000 },
    };
    await writeFile(join(dir, 'notify.json'), JSON.stringify(config));
    const nodeA = await start(database.url, { NOTIFY_CONFIG: join(dir, 'notify.json') });
    const nodeB = await start(database.url, { NOTIFY_CONFIG: join(dir, 'notify.json') });
    const onA = await nodeA.api('operator');
    const onB = await nodeB.api('operator');
    for (let i = 0; i < 3; i++) {
      expect((await onA.post('/api/v1/notifications/channels/hook/test')).status).toBe(202);
      expect((await onB.post('/api/v1/notifications/channels/hook/test')).status).toBe(202);
    }
    const sent = async () =>
      (await onB.get<{ entries: { state: string }[] }>('/api/v1/notifications/outbox?limit=50')).body.entries.map((e) => e.state);
    await expect.poll(sent, { timeout: 10_000 }).toEqual(Array(6).fill('sent'));
    // Both nodes read the one outbox; the one receiver got each message once.
    expect(await postgres.psql('SELECT count(*) FROM notify_outbox', database.name)).toBe('6');
    expect(hook.attempts()).toBe(6);
    expect([nodeA, nodeB].filter((t) => t.platform.notifications?.isSender())).toHaveLength(1);
    for (const t of [nodeA, nodeB]) expect(existsSync(join(t.dataDir, 'notifications.sqlite'))).toBe(false);
  });

  test('a platform started again on the same database finds the history there', async () => {
    const database = await postgres.createDatabase();
    const first = await start(database.url);
    const { kiosk, acks } = await connectWithAcks(first, 'PG-002');
    const ret = { id: 'PG-002-b1-1', ts: new Date().toISOString(), type: 'return', itemId: 'B2' };
    await kiosk.publishAsync('kiosks/PG-002/events', JSON.stringify(ret), { qos: 1 });
    await expect.poll(() => acks.some((a) => a.stored.includes(ret.id))).toBe(true);
    await platforms.pop()!.stop();

    // A new data directory: only the database carries the history over.
    const second = await start(database.url);
    const { body } = await second.get<{ events: { id: string }[] }>('/api/v1/events?kiosk=PG-002&limit=10');
    expect(body.events.map((e) => e.id)).toEqual([ret.id]);
  });

  test('with PostgreSQL stopped, events are acked from the spool and reach the database once it is back', async () => {
    const database = await postgres.createDatabase();
    const t = await start(database.url);
    const { kiosk, acks } = await connectWithAcks(t, 'PG-003');
    const loan = (n: number) => ({ id: `PG-003-b1-${n}`, ts: new Date().toISOString(), type: 'loan', itemId: `B${n}` });
    const isAcked = (id: string) => acks.some((a) => a.stored.includes(id));
    await kiosk.publishAsync('kiosks/PG-003/events', JSON.stringify(loan(1)), { qos: 1 });
    await expect.poll(() => isAcked(loan(1).id)).toBe(true);

    await postgres.stopServer();
    try {
      await kiosk.publishAsync('kiosks/PG-003/events', JSON.stringify([loan(2), loan(3)]), { qos: 1 });
      await expect.poll(() => isAcked(loan(2).id) && isAcked(loan(3).id)).toBe(true);
      const health = await t.get<{ components: { spool: { state: string; depthEvents: number } } }>('/api/v1/health');
      expect(health.body.components.spool.state).toBe('degraded');
    } finally {
      await postgres.startServer();
    }

    const storedIds = async () =>
      (await postgres.psql(`SELECT string_agg(id, ',' ORDER BY id) FROM events WHERE kiosk_id = 'PG-003'`, database.name)).split(
        ',',
      );
    await expect.poll(storedIds, { timeout: 20_000 }).toEqual([1, 2, 3].map((n) => loan(n).id));
    expect(await postgres.psql(`SELECT sum(count) FROM daily_counts WHERE kiosk_id = 'PG-003'`, database.name)).toBe('3');
  });
});
