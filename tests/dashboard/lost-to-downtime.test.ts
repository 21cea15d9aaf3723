import { type EventEmitter, once } from 'node:events';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createCalendar } from '../../time/calendar.js';
import { fitExpectedActivity, HOUR_MS, hourObservations } from '../../collector/domain/expected-activity.js';
import { estimateLost } from '../../collector/domain/lost-transactions.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/**
 * A known month of one machine: in service all October, ten loans a day from 08 h local, and an
 * RFID reader that stops lending on the 20th from 10 h to 16 h. What the reports say was lost
 * must be the pure estimate (collector/domain/lost-transactions.ts) of that history.
 */
const ID = 'LOST-1';
const OCT = Date.parse('2026-10-01T00:00:00+08:00');
const NOV = Date.parse('2026-11-01T00:00:00+08:00');
const FAULT_FROM = Date.parse('2026-10-20T10:00:00+08:00');
const FAULT_TO = Date.parse('2026-10-20T16:00:00+08:00');
const iso = (ms: number) => new Date(ms).toISOString();

const loanTimes = (): number[] => {
  const times: number[] = [];
  for (let day = OCT; day < NOV; day += 24 * HOUR_MS) {
    for (let hour = 8; hour < 18; hour++) {
      const t = day + hour * HOUR_MS + 15 * 60_000;
      if (t < FAULT_FROM || t >= FAULT_TO) times.push(t);
    }
  }
  return times;
};

interface LostView {
  expected: number | null;
  low: number | null;
  high: number | null;
  downtimeHours: number | null;
  byMonth: { month: string; expected: number }[];
  insufficientHistory: string | null;
}

let t: TestPlatform;
let client: MqttClient;

async function send(events: Record<string, unknown>[]): Promise<void> {
  const acked = once(client as unknown as EventEmitter, 'message');
  await client.publishAsync(`kiosks/${ID}/events`, JSON.stringify(events), { qos: 1 });
  await acked;
}

beforeAll(async () => {
  t = await startTestPlatform();
  client = await t.connectKiosk(ID, await t.provision(ID));
  await client.subscribeAsync(`kiosks/${ID}/acks`, { qos: 1 });
  await client.publishAsync(`kiosks/${ID}/status`, JSON.stringify({ state: 'online', ts: iso(OCT), bootId: 'b1' }), {
    qos: 1,
    retain: true,
  });
  const loans = loanTimes().map((ms, i) => ({ id: `loan-${i}`, ts: iso(ms), type: 'loan' }));
  for (let i = 0; i < loans.length; i += 200) await send(loans.slice(i, i + 200));
  await send([
    {
      id: 'f1',
      ts: iso(FAULT_FROM),
      type: 'fault',
      faultId: 'f1',
      component: 'rfid_reader',
      code: 'RFID_DEAD',
      severity: 'critical',
    },
    { id: 'f1-cleared', ts: iso(FAULT_TO), type: 'fault_cleared', faultId: 'f1' },
  ]);
  const health = t.platform.fleetHealth!.health;
  await vi.waitFor(() =>
    expect(health.timeline(ID, OCT, NOV).map((i) => i.state)).toEqual(['in_service', 'out_of_service', 'in_service']),
  );
});
afterAll(async () => t?.stop());

/** The pure chain on the same history: the model as of the month's end, the fault's hours. */
function pureEstimate() {
  const available = [
    { fromMs: OCT, toMs: FAULT_FROM },
    { fromMs: FAULT_TO, toMs: NOV },
  ];
  const model = fitExpectedActivity(
    hourObservations(loanTimes(), available, NOV - 365 * 24 * HOUR_MS, NOV),
    createCalendar('Asia/Shanghai'),
  );
  if (model.kind !== 'model') throw new Error(model.reason);
  return estimateLost(model, [{ fromMs: FAULT_FROM, toMs: FAULT_TO, cause: 'out_of_service' }], OCT, NOV);
}

describe('loans lost to downtime in the reports', () => {
  test('the utilisation report gives each machine its estimate, per month, equal to the pure estimate of its history', async () => {
    const manager = await t.api('manager');
    const res = await manager.get<{ timeZone: string; machines: { kioskId: string; lostToDowntime: LostView }[] }>(
      '/api/v1/reports/utilisation?from=2026-10&to=2026-10',
    );
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe('Asia/Shanghai');
    const lost = res.body.machines.find((m) => m.kioskId === ID)!.lostToDowntime;
    const pure = pureEstimate();
    // Six hours of a machine doing about one loan an hour in the day: a few loans, never zero.
    expect(pure.expected).toBeGreaterThan(2);
    expect(lost.expected).toBeCloseTo(pure.expected, 9);
    expect(lost.low).toBeCloseTo(pure.low, 9);
    expect(lost.high).toBeCloseTo(pure.high, 9);
    expect(lost.downtimeHours).toBe(6);
    expect(lost.byMonth).toEqual([expect.objectContaining({ month: '2026-10', expected: lost.expected })]);
    expect(lost.insufficientHistory).toBeNull();
  });

  test('the CSV export has the column "estimated transactions lost to downtime", in English and Chinese', async () => {
    const manager = await t.api('manager');
    const expected = Math.round(pureEstimate().expected);
    for (const [lang, header] of [
      ['en', 'estimated transactions lost to downtime'],
      ['zh', '停机损失借还量（估计）'],
    ] as const) {
      const res = await fetch(`${t.baseUrl}/api/v1/reports/utilisation?from=2026-10&to=2026-10&format=csv&lang=${lang}`, {
        headers: manager.headers,
      });
      expect(res.status).toBe(200);
      const records = parse((await res.text()).replace(/^\uFEFF/, ''), {
        relax_column_count: true,
        skip_empty_lines: true,
      }) as string[][];
      const column = records[0]!.indexOf(header);
      expect(column).toBeGreaterThan(0);
      const row = records.find((r) => r[1] === ID)!;
      expect(Number(row[column])).toBe(expected);
      // The month by month section names the machine and the month.
      expect(records.some((r) => r[0] === ID && r[1] === '2026-10' && Number(r[2]) === expected)).toBe(true);
    }
  });

  test('the XLSX export carries the same figure as a number', async () => {
    const manager = await t.api('manager');
    const res = await fetch(`${t.baseUrl}/api/v1/reports/utilisation?from=2026-10&to=2026-10&format=xlsx`, {
      headers: manager.headers,
    });
    expect(res.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    const headers = (sheet.getRow(1).values as unknown[]).map(String);
    const column = headers.indexOf('estimated transactions lost to downtime');
    expect(column).toBeGreaterThan(0);
    const row = sheet.getRow(2);
    expect(row.getCell(2).value).toBe(ID);
    expect(row.getCell(column).value).toBe(Math.round(pureEstimate().expected));
    expect(workbook.getWorksheet('lost to downtime')).toBeDefined();
  });

  test('the yearly indicators carry the fleet estimate by month, with its interval', async () => {
    const manager = await t.api('manager');
    const res = await manager.get<{ lostToDowntime: LostView & { kiosksWithoutEstimate: number } }>(
      '/api/v1/reports/indicators?year=2026',
    );
    expect(res.status).toBe(200);
    const lost = res.body.lostToDowntime;
    expect(lost.byMonth.map((m) => m.month)).toHaveLength(12);
    const october = lost.byMonth.find((m) => m.month === '2026-10')!;
    expect(october.expected).toBeGreaterThan(0);
    expect(lost.expected).toBeGreaterThanOrEqual(october.expected);
    expect(lost.low).toBeLessThanOrEqual(lost.expected!);
    expect(lost.high).toBeGreaterThanOrEqual(lost.expected!);
    const csv = await fetch(`${t.baseUrl}/api/v1/reports/indicators?year=2026&format=csv&lang=zh`, { headers: manager.headers });
    expect(await csv.text()).toContain('停机损失借还量（估计）');
  });
});
