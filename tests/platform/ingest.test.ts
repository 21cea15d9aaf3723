import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { platformRecord } from '../../collector/health/platform-record.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

interface EventsBody {
  events: { id: string; type: string; kioskId: string }[];
}
interface DeadLettersBody {
  deadLetters: { reason: string; detail: string; topic: string; kioskId?: string; payloadExcerpt: string }[];
  total: number;
  rejectedByReason: Record<string, number>;
}

const closedOf = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));
const nowIso = () => new Date().toISOString();
let seq = 0;
const loan = (kioskId: string) => ({ id: `${kioskId}-t-${++seq}`, ts: nowIso(), type: 'loan', itemId: `B${seq}` });

describe('platform ingest: MQTT in, event history and live push out', () => {
  let t: TestPlatform;
  let kiosk: MqttClient;
  let kioskToken: string;
  const acks: { stored: string[]; rejected: { id: string; reason: string }[] }[] = [];

  beforeAll(async () => {
    t = await startTestPlatform();
    kioskToken = await t.provision('T-001');
    kiosk = await t.connectKiosk('T-001', kioskToken);
    kiosk.on('message', (_topic, payload) => acks.push(JSON.parse(payload.toString())));
    await kiosk.subscribeAsync('kiosks/T-001/acks', { qos: 1 });
  });
  afterAll(async () => t?.stop());

  async function storedIds(kioskId: string): Promise<string[]> {
    const { body } = await t.get<EventsBody>(`/api/v1/events?kiosk=${kioskId}&limit=1000`);
    return body.events.map((e) => e.id);
  }

  test('an event published twice is stored once and acked to the machine each time', async () => {
    const event = loan('T-001');
    await kiosk.publishAsync('kiosks/T-001/events', JSON.stringify(event), { qos: 1 });
    await kiosk.publishAsync('kiosks/T-001/events', JSON.stringify(event), { qos: 1 });
    await expect.poll(() => acks.filter((a) => a.stored.includes(event.id)).length).toBe(2);
    expect((await storedIds('T-001')).filter((id) => id === event.id)).toHaveLength(1);
    const kioskView = await t.get<{ kiosk: { today: { loans: number } } }>('/api/v1/kiosks/T-001');
    expect(kioskView.body.kiosk.today.loans).toBe(1);
  });

  test('a batch (outbox flush) is stored whole, and its bad element is dead-lettered and acked as rejected', async () => {
    const good = [loan('T-001'), loan('T-001')];
    const bad = { id: 'T-001-bad-1', ts: nowIso(), type: 'loan', readerId: 'R-42' };
    await kiosk.publishAsync('kiosks/T-001/events', JSON.stringify([good[0], bad, good[1]]), { qos: 1 });
    await expect.poll(() => acks.some((a) => a.rejected.some((r) => r.id === bad.id))).toBe(true);
    const ids = await storedIds('T-001');
    expect(ids).toEqual(expect.arrayContaining(good.map((e) => e.id)));
    expect(ids).not.toContain(bad.id);
    const dead = await t.get<DeadLettersBody>('/api/v1/dead-letters');
    expect(dead.body.deadLetters.find((d) => d.payloadExcerpt.includes('T-001-bad-1'))?.reason).toBe('schema');
  });

  test.each([
    ['invalid JSON', '{"id": "x", ', 'invalid_json'],
    ['a wrong schema', JSON.stringify({ id: 'T-001-s', ts: nowIso(), type: 'fault', component: 'rfid_reader' }), 'schema'],
    ['an unknown event type', JSON.stringify({ id: 'T-001-u', ts: nowIso(), type: 'teleport' }), 'unknown_event_type'],
    [
      'a timestamp from 1970',
      JSON.stringify({ id: 'T-001-old', ts: '1970-01-01T00:00:00Z', type: 'loan' }),
      'timestamp_out_of_range',
    ],
    [
      'a timestamp a year ahead',
      JSON.stringify({ id: 'T-001-future', ts: new Date(Date.now() + 365 * 86_400_000).toISOString(), type: 'return' }),
      'timestamp_out_of_range',
    ],
    ['a timestamp without offset', JSON.stringify({ id: 'T-001-nooff', ts: '2026-11-22T08:00:00', type: 'return' }), 'schema'],
  ])('%s is dead-lettered with reason %s; valid events before and after are stored', async (_name, payload, reason) => {
    const before = loan('T-001');
    const after = loan('T-001');
    const countBefore = (await t.get<DeadLettersBody>('/api/v1/dead-letters')).body.rejectedByReason[reason] ?? 0;
    await kiosk.publishAsync('kiosks/T-001/events', JSON.stringify(before), { qos: 1 });
    await kiosk.publishAsync('kiosks/T-001/events', payload, { qos: 1 });
    await kiosk.publishAsync('kiosks/T-001/events', JSON.stringify(after), { qos: 1 });
    await expect
      .poll(async () => (await t.get<DeadLettersBody>('/api/v1/dead-letters')).body.rejectedByReason[reason])
      .toBe(countBefore + 1);
    // Counted when refused; stored by the store's writer thread a moment later.
    await expect
      .poll(async () => (await t.get<DeadLettersBody>('/api/v1/dead-letters')).body.deadLetters[0]?.payloadExcerpt)
      .toBe(payload.slice(0, 1024));
    const dead = (await t.get<DeadLettersBody>('/api/v1/dead-letters')).body.deadLetters[0]!;
    expect(dead).toMatchObject({ reason, topic: 'kiosks/T-001/events', kioskId: 'T-001' });
    expect(dead.detail.length).toBeGreaterThan(10);
    expect(dead.payloadExcerpt).toBe(payload.slice(0, 1024));
    await expect.poll(() => storedIds('T-001')).toEqual(expect.arrayContaining([before.id, after.id]));
    expect((await t.get<{ status: string }>('/api/v1/health')).body.status).toBe('ok');
  });

  test('an oversize packet is refused by the broker, dead-lettered, and the machine can reconnect and go on', async () => {
    const token = await t.provision('T-BIG');
    const big = await t.connectKiosk('T-BIG', token);
    const closed = closedOf(big);
    big.publish('kiosks/T-BIG/events', JSON.stringify({ ...loan('T-BIG'), itemId: 'x'.repeat(300_000) }), { qos: 1 });
    await closed;
    await expect
      .poll(async () => (await t.get<DeadLettersBody>('/api/v1/dead-letters')).body.rejectedByReason.packet_too_large)
      .toBe(1);
    const again = await t.connectKiosk('T-BIG', token);
    const event = loan('T-BIG');
    await again.publishAsync('kiosks/T-BIG/events', JSON.stringify(event), { qos: 1 });
    await expect.poll(() => storedIds('T-BIG')).toEqual([event.id]);
  });

  test("a machine publishing on another machine's topic is refused and dead-lettered; the other is unaffected", async () => {
    const tokenA = await t.provision('T-A');
    const a = await t.connectKiosk('T-A', tokenA);
    const aClosed = closedOf(a);
    a.publish('kiosks/T-001/events', JSON.stringify(loan('T-001')), { qos: 1 });
    await aClosed;
    await expect
      .poll(async () => (await t.get<DeadLettersBody>('/api/v1/dead-letters')).body.rejectedByReason.publish_not_allowed)
      .toBe(1);
    await expect
      .poll(
        async () =>
          (await t.get<DeadLettersBody>('/api/v1/dead-letters')).body.deadLetters.find((d) => d.reason === 'publish_not_allowed')
            ?.topic,
      )
      .toBe('kiosks/T-001/events');
    expect(kiosk.connected).toBe(true);
    const event = loan('T-001');
    await kiosk.publishAsync('kiosks/T-001/events', JSON.stringify(event), { qos: 1 });
    await expect.poll(() => storedIds('T-001')).toContain(event.id);
  });

  test('a machine with a wrong token, or another machine’s id, cannot connect', async () => {
    await expect(t.connectKiosk('T-001', 'not-the-token', { clientId: 'T-001-imposter' })).rejects.toThrow();
    const tokenB = await t.provision('T-B');
    await expect(t.connectKiosk('T-001', tokenB)).rejects.toThrow();
    await expect(t.connectKiosk('T-B', tokenB, { clientId: 'T-001' })).rejects.toThrow();
    expect(kiosk.connected).toBe(true);
  });

  test('a socket.io client gets a snapshot, then a pushed update for a new event', async () => {
    const socket: Socket = await t.socket('operator');
    try {
      const snapshot = await new Promise<{ kiosks: { id: string; connection: string }[] }>((resolve) =>
        socket.once('snapshot', resolve),
      );
      expect(snapshot.kiosks.find((k) => k.id === 'T-001')?.connection).toBe('unknown');
      const pushed = new Promise<{ id: string }[]>((resolve) => {
        socket.on('events', (events: { id: string }[]) => {
          if (events.some((e) => e.id === event.id)) resolve(events);
        });
      });
      const event = loan('T-001');
      await kiosk.publishAsync('kiosks/T-001/events', JSON.stringify(event), { qos: 1 });
      expect((await pushed).map((e) => e.id)).toContain(event.id);
    } finally {
      socket.close();
    }
  });

  test("the platform's own records reach the live push in order with the machine's events around them", async () => {
    const socket: Socket = await t.socket('operator');
    try {
      const [before, after] = [loan('T-001'), loan('T-001')];
      const pushedIds: string[] = [];
      const pushed = new Promise<void>((resolve) => {
        socket.on('events', (events: { id: string }[]) => {
          pushedIds.push(...events.map((e) => e.id));
          if (pushedIds.includes(after.id)) resolve();
        });
      });
      await new Promise<unknown>((resolve) => socket.once('snapshot', resolve));
      const { ingest } = t.platform.collector;
      const nowMs = Date.now();
      const marker = platformRecord('T-001', { type: 'kiosk_heard' }, { atMs: nowMs, nowMs, id: `heard-${nowMs}` });
      ingest.accept('kiosks/T-001/events', Buffer.from(JSON.stringify(before)));
      const recorded = ingest.recordPlatformEvents([marker]);
      ingest.accept('kiosks/T-001/events', Buffer.from(JSON.stringify(after)));
      await expect(recorded).resolves.toMatchObject({ inserted: [marker.id] });
      await pushed;
      expect(pushedIds.filter((id) => [before.id, marker.id, after.id].includes(id))).toEqual([before.id, marker.id, after.id]);
    } finally {
      socket.close();
    }
  });

  test('a retained online status and a Last Will set the machine online, then offline', async () => {
    const token = await t.provision('T-LWT');
    const bootId = 'boot-1';
    const client = await t.connectKiosk('T-LWT', token, {
      will: {
        topic: 'kiosks/T-LWT/status',
        payload: Buffer.from(JSON.stringify({ state: 'offline', ts: nowIso(), bootId })),
        qos: 1,
        retain: true,
      },
    });
    await client.publishAsync('kiosks/T-LWT/status', JSON.stringify({ state: 'online', ts: nowIso(), bootId }), {
      qos: 1,
      retain: true,
    });
    const connection = async () => (await t.get<{ kiosk: { connection: string } }>('/api/v1/kiosks/T-LWT')).body.kiosk.connection;
    await expect.poll(connection).toBe('online');
    (client as unknown as { stream: { destroy(): void } }).stream.destroy();
    await expect.poll(connection, { timeout: 10_000 }).toBe('offline');
  });
});
