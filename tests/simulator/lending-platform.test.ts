import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createLendingPlatform, type LendingPlatform } from '../../simulator/lending-platform.js';
import type { SimulatedMachine } from '../../simulator/machine.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

interface Listed {
  reservations: { reservationId: string; state: string; destination: { kind: string }; delivery: { by: string | null } | null }[];
}

const DAY_MS = 86_400_000;
const ALL_STATES = 'open,at_risk,breached,delivered_on_time,delivered_late,cancelled';

describe('the simulated online lending platform against the real API', () => {
  let t: TestPlatform;
  let client: MqttClient;
  let seq = 0;
  const deliveredByMachine: string[] = [];

  let lendingToken: string;
  beforeAll(async () => {
    t = await startTestPlatform();
    // The online lending platform's own credential: an integration token of role `lending`.
    lendingToken = (await t.platform.auth.tokens.issue({ name: 'lending platform', role: 'lending', createdBy: 'test' })).secret;
    client = await t.connectKiosk('L-001', await t.provision('L-001'));
  });
  afterAll(async () => t?.stop());

  /** A stand-in for a simulated machine: it reports deliveries over MQTT as one would. */
  const machine = {
    kioskId: 'L-001',
    deliverReservation(reservationId: string, atMs: number) {
      deliveredByMachine.push(reservationId);
      const event = { id: `L-001-t-${++seq}`, ts: new Date(atMs).toISOString(), type: 'reservation_delivered', reservationId };
      void client.publishAsync('kiosks/L-001/events', JSON.stringify(event), { qos: 1 });
    },
  } as unknown as SimulatedMachine;

  // Stopped after each test even when it fails midway (its timer ticks every 10 ms).
  const running = new Set<LendingPlatform>();
  afterEach(async () => {
    for (const platform of running) await platform.stop();
  });

  function lendingPlatform(simNow: () => number, startMs: number): LendingPlatform {
    const platform = createLendingPlatform({
      apiUrl: t.baseUrl,
      credential: () => lendingToken,
      machines: [machine],
      simNow,
      startMs,
      timeZone: 'Asia/Shanghai',
      stateFile: join(t.dataDir, 'simulator', 'lending-platform.json'),
      logger: t.platform.foundation.logger,
      reservationsPerMachinePerDay: 8,
      tickMs: 10,
      seed: 7,
    });
    const tracked: LendingPlatform = {
      ...platform,
      stop: async () => {
        running.delete(tracked);
        await platform.stop();
      },
    };
    running.add(tracked);
    return tracked;
  }
  const listed = async () => (await t.get<Listed>(`/api/v1/reservations?state=${ALL_STATES}`)).body.reservations;

  test('reservations are created through the API and delivered by the machine or a courier; a restart repeats none', async () => {
    const startMs = Date.now() - 6 * DAY_MS;
    let simNowMs = startMs + 3 * DAY_MS;
    const first = lendingPlatform(() => simNowMs, startMs);
    first.start();
    await expect.poll(async () => (await listed()).length, { timeout: 10_000 }).toBeGreaterThan(10);
    await expect.poll(() => deliveredByMachine.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await first.stop();
    const afterFirst = await listed();

    simNowMs = Date.now();
    const second = lendingPlatform(() => simNowMs, startMs);
    second.start();
    await expect
      .poll(async () => (await listed()).filter((r) => r.delivery !== null).length, { timeout: 10_000 })
      .toBeGreaterThan(afterFirst.length / 2);
    await second.stop();

    const all = await listed();
    const ids = all.map((r) => r.reservationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(afterFirst.map((r) => r.reservationId)));
    const home = all.filter((r) => r.destination.kind === 'home' && r.delivery);
    expect(home.length).toBeGreaterThan(0);
    expect(home.every((r) => r.delivery?.by === 'lending platform')).toBe(true); // recorded from its token, not its body
    const atMachine = all.filter((r) => r.destination.kind === 'kiosk' && r.delivery);
    expect(atMachine.length).toBeGreaterThan(0);
    expect(atMachine.every((r) => r.delivery?.by === null)).toBe(true);
    expect(new Set(deliveredByMachine).size).toBe(deliveredByMachine.length);
    const deadLetters = await t.get<{ rejectedByReason: Record<string, number> }>('/api/v1/dead-letters');
    expect(deadLetters.body.rejectedByReason['unknown_reservation'] ?? 0).toBe(0);
  });
});
