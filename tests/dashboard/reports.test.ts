import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ackSchema } from '../../protocol/acks.js';
import { createRng } from '../../simulator/random.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}
interface Figures {
  loans: number;
  returns: number;
  total: number;
}
interface CirculationBody {
  rows: (Figures & { month: string; isComplete: boolean })[];
  total: Figures;
  revisions: { month: string; previous: Figures; current: Figures; difference: Figures; firstExportedAt: string }[];
}
interface WireEvent {
  id: string;
  ts: string;
  type: string;
  [field: string]: unknown;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const INJECTED_NAME = '=HYPERLINK("http://evil.example","open me")';
/** An independent month in Asia/Shanghai, straight from Intl (not the platform's calendar). */
const shanghaiMonth = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' });
const localMonthOf = (ms: number) => shanghaiMonth.format(ms).slice(0, 7);

/** Reads an XLSX file back with exceljs (which takes an ArrayBuffer). */
async function readWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return workbook;
}

describe('managers reports', () => {
  let t: TestPlatform;
  const clients = new Map<string, MqttClient>();
  const acked = new Set<string>();
  const ackWaiters = new Set<{ ids: string[]; resolve: () => void }>();

  async function register(id: string, name: string, district: string, extra: Record<string, unknown> = {}): Promise<void> {
    const res = await (
      await t.api('admin')
    ).post<{ mqtt: { password: string } }>('/api/v1/kiosks', { id, name, district, lat: 39.9, lon: 116.4, ...extra });
    if (res.status !== 201) throw new Error(`provisioning ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    const token = res.body.mqtt.password;
    const client = await t.connectKiosk(id, token);
    client.on('message', (_topic, payload) => {
      const ack = ackSchema.parse(JSON.parse(payload.toString('utf8')));
      for (const stored of ack.stored) acked.add(stored);
      for (const waiter of [...ackWaiters]) {
        if (!waiter.ids.every((id) => acked.has(id))) continue;
        ackWaiters.delete(waiter);
        waiter.resolve();
      }
    });
    await client.subscribeAsync(`kiosks/${id}/acks`, { qos: 1 });
    clients.set(id, client);
  }

  /** Publishes as the machine would (an outbox flush, QoS 1) and waits for the collector's ack. */
  async function publish(kioskId: string, events: WireEvent[]): Promise<void> {
    const ids = events.map((e) => e.id);
    const stored = new Promise<void>((resolve) => ackWaiters.add({ ids, resolve }));
    for (let i = 0; i < events.length; i += 200) {
      await clients.get(kioskId)!.publishAsync(`kiosks/${kioskId}/events`, JSON.stringify(events.slice(i, i + 200)), { qos: 1 });
    }
    await stored;
  }

  const circulation = async (query: string) => {
    const res = await t.get<CirculationBody & ErrorBody>(`/api/v1/reports/circulation?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const download = async (query: string) => {
    const res = await fetch(`${t.baseUrl}/api/v1/reports/${query}`, { headers: (await t.api('manager')).headers });
    expect(res.status).toBe(200);
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const csvRecords = (bytes: Buffer) =>
    parse(bytes.subarray(3).toString('utf8'), { relax_column_count: true, skip_empty_lines: false }) as string[][];

  /** Loans and returns of 2023 for three machines, seeded; a few faults that must not count. */
  const history = new Map<string, WireEvent[]>();
  beforeAll(async () => {
    t = await startTestPlatform();
    await register('RP-A1', INJECTED_NAME, '望京', { districtEn: 'Wangjing', installedOn: '2012-03-01' });
    await register('RP-A2', '望京社区服务站自助图书馆', '望京', { districtEn: 'Wangjing' });
    await register('RP-B1', '@SUM(1+1)*cmd|" /C calc"!A0', '三里屯', { districtEn: 'Sanlitun' });
    await register('RP-ZZ', 'Month edges', '+Edge');
    const rng = createRng(7);
    const start = Date.parse('2023-01-01T00:00:00+08:00');
    const span = Date.parse('2024-01-01T00:00:00+08:00') - start;
    for (const [kioskId, count] of [
      ['RP-A1', 400],
      ['RP-A2', 120],
      ['RP-B1', 260],
    ] as const) {
      const events = Array.from({ length: count }, (_, i): WireEvent => {
        const ts = new Date(start + Math.floor(rng() * span)).toISOString();
        const draw = rng();
        const type = draw < 0.3 ? 'loan' : draw < 0.95 ? 'return' : 'fault';
        const id = `${kioskId}-h-${i}`;
        return type === 'fault'
          ? { id, ts, type, faultId: `${id}-f`, component: 'door', code: 'DOOR_OPEN', severity: 'minor' }
          : { id, ts, type, itemId: `B${i}` };
      });
      history.set(kioskId, events);
      await publish(kioskId, events);
    }
  });
  afterAll(async () => t?.stop());

  test('an event at 23:59 local on 31 January counts in January, one at 00:01 on 1 February in February', async () => {
    await publish('RP-ZZ', [
      { id: 'RP-ZZ-edge-1', ts: '2023-01-31T23:59:00+08:00', type: 'loan' },
      // The same local instant sent in UTC: 2023-01-31T16:01Z is already 1 February in Shanghai.
      { id: 'RP-ZZ-edge-2', ts: '2023-01-31T16:01:00Z', type: 'return' },
      { id: 'RP-ZZ-edge-3', ts: '2023-02-28T23:59:59.999+08:00', type: 'return' },
      { id: 'RP-ZZ-edge-4', ts: '2023-03-01T00:00:00+08:00', type: 'loan' },
    ]);
    const body = await circulation('from=2023-01&to=2023-03&kiosk=RP-ZZ');
    expect(body.rows.map((r) => [r.month, r.loans, r.returns, r.total])).toEqual([
      ['2023-01', 1, 0, 1],
      ['2023-02', 0, 2, 2],
      ['2023-03', 1, 0, 1],
    ]);
    expect(body.total).toEqual({ loans: 2, returns: 2, total: 4 });
  });

  test.each([
    ['the whole fleet', '', ['RP-A1', 'RP-A2', 'RP-B1', 'RP-ZZ']],
    ['a district, by its name', 'district=望京', ['RP-A1', 'RP-A2']],
    ['a district, by its English name', 'district=Sanlitun', ['RP-B1']],
    ['one machine', 'kiosk=RP-A2', ['RP-A2']],
  ])('the table of %s equals a recount of the events from /api/v1/events', async (_, scope, kioskIds) => {
    const body = await circulation(`from=2023-01&to=2023-12&${scope}`);
    const recount = new Map<string, Figures>();
    for (const kioskId of kioskIds) {
      let path = `/api/v1/events?kiosk=${kioskId}&type=loan,return&from=2023-01-01T00:00:00%2B08:00&to=2024-01-01T00:00:00%2B08:00&order=asc&limit=100`;
      for (;;) {
        const page = await t.get<{ events: WireEvent[]; next: string | null }>(path);
        for (const event of page.body.events) {
          const month = localMonthOf(Date.parse(event.ts));
          const figures = recount.get(month) ?? { loans: 0, returns: 0, total: 0 };
          if (event.type === 'loan') figures.loans++;
          else figures.returns++;
          figures.total++;
          recount.set(month, figures);
        }
        if (!page.body.next) break;
        path = `/api/v1/events?kiosk=${kioskId}&type=loan,return&from=2023-01-01T00:00:00%2B08:00&to=2024-01-01T00:00:00%2B08:00&order=asc&limit=100&after=${page.body.next}`;
      }
    }
    expect(body.rows).toHaveLength(12);
    for (const row of body.rows)
      expect([row.month, row.loans, row.returns, row.total]).toEqual([
        row.month,
        ...Object.values(recount.get(row.month) ?? { loans: 0, returns: 0, total: 0 }),
      ]);
    expect(body.total.total).toBe([...recount.values()].reduce((sum, f) => sum + f.total, 0));
  });

  test('empty kiosk and district parameters mean the whole fleet', async () => {
    expect((await circulation('from=2023-01&to=2023-12&kiosk=&district=')).total).toEqual(
      (await circulation('from=2023-01&to=2023-12')).total,
    );
  });

  test('a late event into an exported month brings a revision note, in JSON, CSV and XLSX', async () => {
    await download('circulation?from=2023-05&to=2023-05&district=Sanlitun&format=xlsx');
    const first = await download('circulation?from=2023-04&to=2023-06&kiosk=RP-B1&format=csv');
    expect(csvRecords(first.bytes).flat()).not.toContain('revisions');
    const before = await circulation('from=2023-04&to=2023-06&kiosk=RP-B1');
    expect(before.revisions).toEqual([]);

    // The machine was offline: its May loans arrive now.
    await publish('RP-B1', [
      { id: 'RP-B1-late-1', ts: '2023-05-20T10:00:00+08:00', type: 'loan' },
      { id: 'RP-B1-late-2', ts: '2023-05-21T10:00:00+08:00', type: 'loan' },
    ]);
    const after = await circulation('from=2023-04&to=2023-06&kiosk=RP-B1');
    const may = before.rows.find((r) => r.month === '2023-05')!;
    expect(after.rows.find((r) => r.month === '2023-05')!.loans).toBe(may.loans + 2);
    expect(after.revisions).toEqual([
      {
        month: '2023-05',
        previous: { loans: may.loans, returns: may.returns, total: may.total },
        current: { loans: may.loans + 2, returns: may.returns, total: may.total + 2 },
        difference: { loans: 2, returns: 0, total: 2 },
        firstExportedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    // The district exported May under its English name: the same scope, so the same note.
    expect((await circulation('from=2023-05&to=2023-05&district=三里屯')).revisions).toMatchObject([
      { month: '2023-05', difference: { loans: 2 } },
    ]);

    const csv = csvRecords((await download('circulation?from=2023-04&to=2023-06&kiosk=RP-B1&format=csv&lang=zh')).bytes);
    const title = csv.findIndex((r) => r[0] === '修订说明');
    expect(title).toBeGreaterThan(0);
    expect(csv[title + 2]!.slice(0, 10)).toEqual([
      '2023-05',
      `${may.loans}`,
      `${may.returns}`,
      `${may.total}`,
      `${may.loans + 2}`,
      `${may.returns}`,
      `${may.total + 2}`,
      '2',
      '0',
      '2',
    ]);

    const workbook = await readWorkbook((await download('circulation?from=2023-04&to=2023-06&kiosk=RP-B1&format=xlsx')).bytes);
    const revisions = workbook.getWorksheet('revisions')!;
    expect(revisions.getCell('A2').value).toBe('2023-05');
    expect(revisions.getCell('H2').value).toBe(2);
    expect(revisions.getCell('H2').type).toBe(ExcelJS.ValueType.Number);
  });

  test('the month still running is not recorded when exported, so its growth is no revision', async () => {
    const now = new Date();
    const month = localMonthOf(now.getTime());
    const body = await circulation(`from=${month}&to=${month}&kiosk=RP-A2`);
    expect(body.rows[0]!.isComplete).toBe(false);
    const csv = csvRecords((await download(`circulation?from=${month}&to=${month}&kiosk=RP-A2&format=csv`)).bytes);
    expect(csv.flat()).toContain(`${month} is not over yet: its figures will still grow`);
    await publish('RP-A2', [{ id: 'RP-A2-today', ts: new Date(now.getTime() - 1000).toISOString(), type: 'return' }]);
    const again = await circulation(`from=${month}&to=${month}&kiosk=RP-A2`);
    expect(again.rows[0]!.returns).toBe(body.rows[0]!.returns + 1);
    expect(again.revisions).toEqual([]);
  });

  test('reading the table as JSON is not an export: a later change brings no note', async () => {
    await circulation('from=2023-08&to=2023-08&kiosk=RP-A2');
    await publish('RP-A2', [{ id: 'RP-A2-late-aug', ts: '2023-08-08T08:08:00+08:00', type: 'loan' }]);
    expect((await circulation('from=2023-08&to=2023-08&kiosk=RP-A2')).revisions).toEqual([]);
  });

  test('CSV opens in Excel: BOM, CRLF, the managers columns and a total row, in English and Chinese', async () => {
    const { res, bytes } = await download('circulation?from=2023-01&to=2023-12&district=望京&format=csv');
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=.*\.csv/);
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(bytes.subarray(3).toString('utf8')).toMatch(/^month,loans,returns,loans\+returns\r\n2023-01,/);
    const json = await circulation('from=2023-01&to=2023-12&district=望京');
    const en = csvRecords(bytes);
    expect(en[13]).toEqual(['total', `${json.total.loans}`, `${json.total.returns}`, `${json.total.total}`]);

    const zh = csvRecords((await download('circulation?from=2023-01&to=2023-12&district=望京&format=csv&lang=zh')).bytes);
    expect(zh[0]).toEqual(['月份', '借书总量', '还书总量', '借还书总量']);
    expect(zh[13]![0]).toBe('合计');
    expect(zh.flat()).toContain('街道 望京');
  });

  test('XLSX reads back with exceljs: header row, numeric cells, the total row', async () => {
    const { res, bytes } = await download('circulation?from=2023-01&to=2023-12&format=xlsx&lang=zh');
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const json = await circulation('from=2023-01&to=2023-12');
    const workbook = await readWorkbook(bytes);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([undefined, '月份', '借书总量', '还书总量', '借还书总量']);
    for (const [i, row] of json.rows.entries()) {
      const cells = sheet.getRow(i + 2);
      expect(cells.getCell(1).value).toBe(row.month);
      for (const [column, value] of [
        [2, row.loans],
        [3, row.returns],
        [4, row.total],
      ] as const) {
        expect(cells.getCell(column).type).toBe(ExcelJS.ValueType.Number);
        expect(cells.getCell(column).value).toBe(value);
      }
    }
    expect(sheet.getRow(14).values).toEqual([undefined, '合计', json.total.loans, json.total.returns, json.total.total]);
    expect(sheet.getRow(14).font?.bold).toBe(true);
  });

  test('names that would run as formulas are prefixed and quoted in CSV, plain text in XLSX', async () => {
    const { bytes } = await download('utilisation?from=2023-01&to=2023-12&format=csv');
    const text = bytes.subarray(3).toString('utf8');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""open me"")"`);
    expect(text).toContain(`"'@SUM(1+1)*cmd|"" /C calc""!A0"`);
    expect(text).toContain(`"'+Edge"`);
    expect(text).not.toMatch(/(^|,)[=+@]/m);

    const workbook = await readWorkbook((await download('utilisation?from=2023-01&to=2023-12&format=xlsx')).bytes);
    const names = workbook.worksheets[0]!.getColumn(3).values;
    expect(names).toContain(INJECTED_NAME);
    const cells: ExcelJS.Cell[] = [];
    workbook.worksheets[0]!.eachRow((row) => cells.push(row.getCell(3)));
    expect(cells.every((c) => c.type !== ExcelJS.ValueType.Formula)).toBe(true);
  });

  test('utilisation ranks machines per day in service and flags the ones far below the median', async () => {
    const { status, body } = await t.get<{
      medianPerServiceDay: number;
      machines: {
        kioskId: string;
        rank: number | null;
        serviceDays: number;
        loansAndReturns: number;
        perServiceDay: number;
        isFarBelowMedian: boolean;
      }[];
    }>('/api/v1/reports/utilisation?from=2023-01&to=2023-12');
    expect(status).toBe(200);
    expect(body.machines.map((m) => m.kioskId)).toEqual(['RP-A1', 'RP-B1', 'RP-A2', 'RP-ZZ']);
    for (const machine of body.machines)
      expect(machine.perServiceDay).toBeCloseTo(machine.loansAndReturns / machine.serviceDays, 10);
    expect(body.machines.find((m) => m.kioskId === 'RP-ZZ')).toMatchObject({ rank: 4, isFarBelowMedian: true });
    expect(body.machines.find((m) => m.kioskId === 'RP-A1')).toMatchObject({ rank: 1, isFarBelowMedian: false });
  });

  test('the yearly indicators: machines and circulation measured, service figures not measured yet', async () => {
    const { body } = await t.get<{
      indicators: { key: string; target: number; actual: number | null; isMet: boolean | null; note: string }[];
    }>('/api/v1/reports/indicators?year=2023');
    const fleet = await circulation('from=2023-01&to=2023-12');
    expect(body.indicators.map((r) => r.key)).toEqual([
      'machinesOperated',
      'circulation',
      'weeklyInspection',
      'availability24h',
      'faultsRestoredWithin24h',
      'reservationsDeliveredWithin72h',
    ]);
    expect(body.indicators.slice(0, 2).map((r) => [r.target, r.actual, r.isMet])).toEqual([
      [70, 4, false],
      [150_000, fleet.total.total, false],
    ]);
    // Service figures are measured by other parts of the platform when they are plugged in.
    for (const row of body.indicators.slice(2)) {
      expect(row.target).toBe(1);
      // No figure (nothing to count in 2023, or not measured) is never a target met, and says why.
      if (row.actual === null) expect([row.isMet, row.note.length > 0]).toEqual([null, true]);
      else expect(row.actual >= 0 && row.actual <= 1 && row.note.length > 0).toBe(true);
    }
    const custom = await t.get<{ indicators: { target: number; isMet: boolean }[] }>(
      '/api/v1/reports/indicators?year=2023&machinesTarget=4&circulationTarget=100',
    );
    expect(custom.body.indicators.slice(0, 2)).toMatchObject([
      { target: 4, isMet: true },
      { target: 100, isMet: true },
    ]);

    const csv = csvRecords((await download('indicators?year=2023&format=csv&lang=zh')).bytes);
    expect(csv[0]).toEqual(['指标', '单位', '目标', '实际', '是否达标', '说明']);
    expect(csv[2]!.slice(0, 5)).toEqual(['全年借还书总量', '册次', '150000', `${fleet.total.total}`, '否']);
    expect(csv[3]!.slice(0, 3)).toEqual(['每周巡检完成率', '%', '100']);
    const workbook = await readWorkbook((await download('indicators?year=2023&format=xlsx')).bytes);
    expect(workbook.worksheets[0]!.getCell('D3').value).toBe(fleet.total.total);
  });

  test.each([
    ['circulation?to=2023-12', 'from'],
    ['circulation?from=2023-13&to=2023-12', 'from'],
    ['circulation?from=2023-01&to=2023-12-31', 'to'],
    ['circulation?from=2023-06&to=2023-05', 'to'],
    ['circulation?from=2000-01&to=2023-12', 'to'],
    ['circulation?from=2023-01&to=2023-12&kiosk=RP-A1&district=望京', 'district'],
    ['circulation?from=2023-01&to=2023-12&format=pdf', 'format'],
    ['circulation?from=2023-01&to=2023-12&lang=fr', 'lang'],
    ['circulation?from=2023-01&to=2023-12&colour=red', 'colour'],
    ['indicators?year=twenty', 'year'],
    ['indicators', 'year'],
    ['utilisation?from=2023-01&to=2023-12&farBelow=2', 'farBelow'],
  ])('%s is a 400 naming %s', async (path, field) => {
    const { status, body } = await t.get<ErrorBody>(`/api/v1/reports/${path}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.message).toContain(field);
  });

  test.each([
    ['circulation?from=2023-01&to=2023-12&district=Atlantis', 'DISTRICT_NOT_FOUND'],
    ['circulation?from=2023-01&to=2023-12&kiosk=NOPE-1', 'KIOSK_NOT_FOUND'],
  ])('%s is a 404 %s', async (path, code) => {
    const { status, body } = await t.get<ErrorBody>(`/api/v1/reports/${path}`);
    expect(status).toBe(404);
    expect(body.error.code).toBe(code);
  });
});
