import { type EventEmitter, once } from 'node:events';
import { parse } from 'csv-parse/sync';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EventAck } from '../../protocol/index.js';
import { type ApiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/** Small things a manager notices: the language and rounding of exports, messages, boundaries. */
let t: TestPlatform;
let admin: ApiClient;
let machine: MqttClient;

const shanghai = (part: 'year' | 'month') =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(new Date())
    .slice(0, part === 'year' ? 4 : 7);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
const csvOf = (text: string) => parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];

async function send(events: Array<Record<string, unknown>>): Promise<EventAck> {
  const acked = once(machine as unknown as EventEmitter, 'message');
  await machine.publishAsync('kiosks/MD-1/events', JSON.stringify(events), { qos: 1 });
  const [, payload] = (await acked) as [string, Buffer];
  return JSON.parse(payload.toString('utf8')) as EventAck;
}

beforeAll(async () => {
  t = await startTestPlatform();
  admin = await t.api('admin');
  machine = await t.connectKiosk('MD-1', await t.provision('MD-1'));
  await machine.subscribeAsync('kiosks/MD-1/acks', { qos: 1 });
  // Three reservations this year: two delivered within 72 hours, one after: 2/3 on time.
  for (const [id, createdHoursAgo] of [
    ['MD-R1', 2],
    ['MD-R2', 3],
    ['MD-R3', 80],
  ] as const) {
    await admin.post('/api/v1/reservations', {
      reservationId: id,
      createdAt: hoursAgo(createdHoursAgo),
      destination: { kind: 'kiosk', kioskId: 'MD-1' },
    });
    await admin.post(`/api/v1/reservations/${id}/delivered`, { deliveredAt: hoursAgo(1) });
  }
});
afterAll(async () => t?.stop());

describe('the Chinese indicators CSV', () => {
  test('has its notes in Chinese and its percentages to one decimal', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/reports/indicators?year=${shanghai('year')}&format=csv&lang=zh`, {
      headers: (await t.api('manager')).headers,
    });
    const rows = csvOf(await res.text());
    const table = rows.slice(1, 7);
    expect(table.map((r) => r[0])).toContain('72小时内预约送达率');
    for (const row of table) {
      const note = row[5]!;
      expect(note, row[0]).toMatch(/[\u4e00-\u9fff]/);
      expect(note, row[0]).not.toMatch(/\b(of|within|machines?|reservations|alerts|measured|loans|returns)\b/);
      if (row[1] === '%' && row[3] !== '') expect(row[3], row[0]).toMatch(/^\d+(\.\d)?$/);
    }
    expect(table.find((r) => r[0] === '72小时内预约送达率')!.slice(3)).toEqual(['66.7', '否', '3 笔预约中 2 笔在 72 小时内送达']);
  });

  test('the JSON answers the note in the language asked', async () => {
    const res = await (
      await t.api('manager')
    ).get<{ indicators: { key: string; note: string; noteZh?: string }[] }>(
      `/api/v1/reports/indicators?year=${shanghai('year')}&lang=zh`,
    );
    const row = res.body.indicators.find((r) => r.key === 'reservationsDeliveredWithin72h')!;
    expect(row.note).toBe('3 笔预约中 2 笔在 72 小时内送达');
    expect(row).not.toHaveProperty('noteZh');
  });
});

test('the running month’s note in the Chinese circulation CSV says 说明 once', async () => {
  const month = shanghai('month');
  const res = await fetch(`${t.baseUrl}/api/v1/reports/circulation?from=${month}&to=${month}&format=csv&lang=zh`, {
    headers: (await t.api('manager')).headers,
  });
  const text = await res.text();
  expect(text.match(/说明/g)).toHaveLength(1);
  expect(text).toContain(`${month} 尚未结束`);
});

test.each([
  ['/api/v1/reports/circulation?from=2023-01&to=2023-12-31', 'invalid query: to: must be a month YYYY-MM, e.g. 2023-01'],
  ['/api/v1/uptime?window=tomorrow', 'invalid query: window: must be 24h, 7d, 30d, a month (2026-11) or a year (2026)'],
  ['/api/v1/events?type=LOAN', 'invalid query: type: must be one event type or a comma-separated list, e.g. loan,return'],
])('a validation message names the field once: %s', async (path, message) => {
  const res = await admin.get<{ error: { message: string } }>(path);
  expect([res.status, res.body.error.message]).toEqual([400, message]);
});

describe('times at the edges', () => {
  test('an event at local midnight 2000-01-01 is stored; a millisecond before is refused as before 2000', async () => {
    const first = await send([{ id: 'md-2000', ts: '2000-01-01T00:00:00+08:00', type: 'loan' }]);
    expect(first).toMatchObject({ stored: ['md-2000'], rejected: [] });
    const before = await send([{ id: 'md-1999', ts: '1999-12-31T23:59:59.999+08:00', type: 'loan' }]);
    expect(before.stored).toEqual([]);
    expect(before.rejected).toEqual([{ id: 'md-1999', reason: expect.stringContaining('is before 2000-01-01') as string }]);
  });

  test('the events API’s `to` is exclusive and `from` inclusive', async () => {
    await send([
      { id: 'md-a', ts: '2024-05-01T10:00:00+08:00', type: 'loan' },
      { id: 'md-b', ts: '2024-05-01T11:00:00+08:00', type: 'loan' },
    ]);
    const from = encodeURIComponent('2024-05-01T10:00:00+08:00');
    const to = encodeURIComponent('2024-05-01T11:00:00+08:00');
    const res = await admin.get<{ events: { id: string }[] }>(`/api/v1/events?kiosk=MD-1&from=${from}&to=${to}`);
    expect(res.body.events.map((e) => e.id)).toEqual(['md-a']);
  });
});
