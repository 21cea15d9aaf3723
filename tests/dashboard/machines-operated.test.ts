import { type EventEmitter, once } from 'node:events';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { EventRecord } from '../../collector/store/event-store.js';
import { type ApiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/**
 * "Machines operated" is what a manager signs: it counted every machine with any event in the
 * year, platform-stamped ones (escalations, reservation notices), hand-entered inspections and
 * reservations addressed to it included: 74 where the history held 72 that reported anything.
 */
const YEAR = 2024;
const at = (monthDay: string) => `${YEAR}-${monthDay}T10:00:00+08:00`;

/** What a machine itself may send, as the wire protocol lists it; written out here, not imported. */
const MACHINE_TYPES = ['loan', 'return', 'fault', 'fault_cleared', 'inspection', 'reservation_delivered', 'command_ack'];

let t: TestPlatform;
let admin: ApiClient;

/** Publishes as the machine does and waits for the collector's ack: then the events are stored. */
async function machineSends(id: string, events: Array<Record<string, unknown>>) {
  const client = await t.connectKiosk(id, await t.provision(id));
  await client.subscribeAsync(`kiosks/${id}/acks`, { qos: 1 });
  const acked = once(client as unknown as EventEmitter, 'message');
  await client.publishAsync(`kiosks/${id}/events`, JSON.stringify(events), { qos: 1 });
  await acked;
}

/** An independent count: every stored event of the year, paged, kept when nobody entered it by hand. */
async function independentCount(year: number): Promise<string[]> {
  const fromMs = Date.parse(`${year}-01-01T00:00:00+08:00`);
  const toMs = Date.parse(`${year + 1}-01-01T00:00:00+08:00`);
  const kiosks = new Set<string>();
  let page: EventRecord[] = [];
  let after: { tsMs: number; id: string } | undefined;
  do {
    page = await t.platform.store.readEvents({ fromMs, toMs, limit: 500, ...(after ? { after } : {}) });
    for (const e of page) if (e.kioskId !== '' && MACHINE_TYPES.includes(e.type) && !('by' in e.data)) kiosks.add(e.kioskId);
    const last = page.at(-1);
    after = last ? { tsMs: last.tsMs, id: last.id } : undefined;
  } while (page.length === 500);
  return [...kiosks].sort();
}

async function machinesOperated(year: number): Promise<number | null> {
  const manager = await t.api('manager');
  const res = await manager.get<{ indicators: { key: string; actual: number | null }[] }>(
    `/api/v1/reports/indicators?year=${year}`,
  );
  return res.body.indicators.find((r) => r.key === 'machinesOperated')!.actual;
}

beforeAll(async () => {
  t = await startTestPlatform();
  admin = await t.api('admin');
  // Machines that reported in the year: a loan; and only an inspection the machine sent itself.
  await machineSends('MO-LOAN', [{ id: 'mo-1', ts: at('03-01'), type: 'loan' }]);
  await machineSends('MO-SELF-INSPECTED', [
    { id: 'mo-2', ts: at('04-01'), type: 'inspection', inspector: 'crew-1', result: 'pass' },
  ]);
  // Machines that did not: one inspected by hand, one a reservation was addressed to, one that
  // was only commanded (platform-stamped, this year), one that reported only the year before.
  for (const id of ['MO-HAND-INSPECTED', 'MO-RESERVED', 'MO-COMMANDED']) await t.provision(id);
  await machineSends('MO-LAST-YEAR', [{ id: 'mo-3', ts: `${YEAR - 1}-06-01T10:00:00+08:00`, type: 'return' }]);
  expect(
    (
      await admin.post('/api/v1/inspections', {
        kioskId: 'MO-HAND-INSPECTED',
        inspector: 'crew-2',
        result: 'pass',
        inspectedAt: at('05-01'),
      })
    ).status,
  ).toBe(201);
  const reservation = { reservationId: 'MO-R1', createdAt: at('06-01'), destination: { kind: 'kiosk', kioskId: 'MO-RESERVED' } };
  expect((await admin.post('/api/v1/reservations', reservation)).status).toBe(201);
  expect((await admin.post('/api/v1/reservations/MO-R1/delivered', { deliveredAt: at('06-02') })).status).toBe(200);
  expect((await admin.post('/api/v1/kiosks/MO-COMMANDED/commands', { type: 'pause', reason: 'relocation' })).status).toBe(202);
});
afterAll(async () => t?.stop());

test('machines operated counts only machines that sent at least one event themselves in the year', async () => {
  expect(await independentCount(YEAR)).toEqual(['MO-LOAN', 'MO-SELF-INSPECTED']);
  expect(await machinesOperated(YEAR)).toBe(2);
});

test('a year in which no machine reported counts none, whatever the platform recorded about machines', async () => {
  const thisYear = Number(new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: 'Asia/Shanghai' }).format(new Date()));
  expect(await independentCount(thisYear)).toEqual([]);
  expect(await machinesOperated(thisYear)).toBe(0);
});
