import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTopics } from '../../protocol/topics.js';
import { kioskRecordSchema } from '../../registry/kiosk.js';
import {
  createSimulatedFleet,
  loadReferenceFleet,
  type SimulatedFleet,
  type SimulatedFleetOptions,
} from '../../simulator/fleet.js';
import { openOutbox } from '../../agent/outbox.js';
import { loadCirculationProfile } from '../../simulator/profile.js';
import {
  createCapturingLogger,
  readRetainedStatuses,
  startTestBroker,
  startTestCollector,
  type TestBroker,
  type TestCollector,
} from './mqtt-harness.js';

const REFERENCE_DIR = join(import.meta.dirname, '../../reference');
const FLEET_CSV = join(REFERENCE_DIR, 'reference-fleet.csv');
const profile = loadCirculationProfile(
  join(REFERENCE_DIR, 'circulation-2023-chaoyang.csv'),
  join(REFERENCE_DIR, 'fault-catalogue.csv'),
  70,
);
const topics = createTopics();
const DAY_MS = 86_400_000;
/** One simulated day per real second: three days of history in three seconds. */
const SPEED = 86_400;
const POLL = { timeout: 15_000, interval: 20 };

describe('simulated fleet against a real broker', () => {
  let broker: TestBroker;
  let dataDir: string;
  let startMs: number;
  let collector: TestCollector;
  const fleets: SimulatedFleet[] = [];
  const captured = createCapturingLogger();

  function startFleet(overrides: Partial<SimulatedFleetOptions> = {}): SimulatedFleet {
    const fleet = createSimulatedFleet({
      brokerUrl: broker.url,
      topics,
      kiosks: loadReferenceFleet(FLEET_CSV, 3),
      dataDir,
      clock: { startMs, speed: SPEED },
      profile,
      timeZone: 'Asia/Shanghai',
      seed: 42,
      tickMs: 50,
      ackTimeoutMs: 60_000,
      telemetryIntervalMs: 100,
      reconnectPeriodMs: 100,
      startStaggerMs: 5,
      logger: captured.logger,
      ...overrides,
    });
    fleets.push(fleet);
    return fleet;
  }
  const eventsOf = (kioskId: string) => [...collector.events.values()].filter((e) => e.id.startsWith(`${kioskId}-`));

  beforeEach(async () => {
    broker = await startTestBroker();
    dataDir = await mkdtemp(join(tmpdir(), 'sim-fleet-'));
    startMs = Date.now() - 3 * DAY_MS;
    captured.lines.length = 0;
  });
  afterEach(async () => {
    for (const fleet of fleets.splice(0)) await fleet.stop();
    await collector?.close();
    await broker.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('machines come online with a retained status, send valid events and telemetry, and once acked their outbox empties', async () => {
    collector = await startTestCollector(broker.url, topics, true);
    const fleet = startFleet();
    await fleet.start();

    const statuses = await readRetainedStatuses(broker.url, topics, 3);
    for (const machine of fleet.machines) {
      expect(statuses.get(machine.kioskId)).toMatchObject({ state: 'online', bootId: machine.bootId, firmware: 'sim-1.0.0' });
    }
    await expect.poll(() => fleet.machines.every((m) => eventsOf(m.kioskId).length > 0), POLL).toBe(true);
    await expect.poll(() => new Set(collector.telemetry.map((t) => t.kioskId)).size, POLL).toBe(3);
    await expect.poll(() => fleet.pendingCount(), POLL).toBe(0);
    expect(collector.invalidMessages).toEqual([]);
    expect(collector.batchSizes.every((n) => n === 0)).toBe(true);
    expect([...collector.events.values()].every((e) => e.ts.endsWith('+08:00') && Date.parse(e.ts) <= Date.now())).toBe(true);
  });

  test('with a batch size, events travel as arrays of up to that many', async () => {
    collector = await startTestCollector(broker.url, topics, true);
    const fleet = startFleet({ batchSize: 5 });
    await fleet.start();
    await expect.poll(() => collector.batchSizes.some((n) => n > 1), POLL).toBe(true);
    expect(collector.batchSizes.every((n) => n >= 1 && n <= 5)).toBe(true);
    await expect.poll(() => fleet.pendingCount(), POLL).toBe(0);
  });

  test('an invalid ack is logged and ignored', async () => {
    collector = await startTestCollector(broker.url, topics, false);
    const fleet = startFleet({ kiosks: loadReferenceFleet(FLEET_CSV, 1) });
    await fleet.start();
    const [machine] = fleet.machines;
    await expect.poll(() => machine!.isOnline(), POLL).toBe(true);
    await collector.client.publishAsync(topics.topic(machine!.kioskId, 'acks'), '{"stored": "everything"}', { qos: 1 });
    await collector.client.publishAsync(topics.topic(machine!.kioskId, 'acks'), 'not json', { qos: 1 });
    await expect.poll(() => captured.lines.filter((l) => l.msg === 'invalid ack ignored').length, POLL).toBe(2);
    expect(machine!.isOnline()).toBe(true);
  });

  test('events that are not acked are sent again after the ack timeout, and dropped once acked', async () => {
    collector = await startTestCollector(broker.url, topics, false);
    const fleet = startFleet({ ackTimeoutMs: 300 });
    await fleet.start();
    await expect.poll(() => [...collector.deliveries.values()].some((n) => n >= 2), POLL).toBe(true);
    expect(fleet.pendingCount()).toBeGreaterThan(0);
    collector.isAcking = true;
    await expect.poll(() => fleet.pendingCount(), POLL).toBe(0);
  });

  test('after a reconnect every unacked event is sent again at once', async () => {
    collector = await startTestCollector(broker.url, topics, false);
    const fleet = startFleet({ kiosks: loadReferenceFleet(FLEET_CSV, 1) });
    await fleet.start();
    const [machine] = fleet.machines;
    await expect.poll(() => eventsOf(machine!.kioskId).length, POLL).toBeGreaterThan(3);
    const sentBefore = eventsOf(machine!.kioskId).map((e) => e.id);

    broker.clientsById.get(machine!.kioskId)!.conn.destroy();

    // The ack timeout is a minute: only the reconnect can explain a second delivery.
    await expect.poll(() => sentBefore.every((id) => collector.deliveries.get(id)! >= 2), POLL).toBe(true);
  });

  test("killing a machine's connection publishes its offline Last Will with its bootId, then it comes back", async () => {
    collector = await startTestCollector(broker.url, topics, true);
    const fleet = startFleet({ kiosks: loadReferenceFleet(FLEET_CSV, 1) });
    await fleet.start();
    const [machine] = fleet.machines;
    await expect.poll(() => machine!.isOnline(), POLL).toBe(true);

    broker.clientsById.get(machine!.kioskId)!.conn.destroy();

    const statusesOf = () => collector.statuses.filter((s) => s.kioskId === machine!.kioskId).map((s) => s.status);
    await expect
      .poll(() => statusesOf().find((s) => s.state === 'offline'), POLL)
      .toMatchObject({ state: 'offline', reason: 'connection lost', bootId: machine!.bootId });
    await expect.poll(() => statusesOf().at(-1)?.state, POLL).toBe('online');
    expect(machine!.isOnline()).toBe(true);
  });

  test('a fleet restarted on the same data dir resends what was never acked and does not regenerate what it had generated', async () => {
    collector = await startTestCollector(broker.url, topics, false);
    const first = startFleet();
    await first.start();
    await expect.poll(() => collector.events.size, POLL).toBeGreaterThan(10);
    await first.stop();

    const generatedUntil = new Map(first.machines.map((m) => [m.kioskId, m.generatedUntilMs()]));
    const outbox = openOutbox(join(dataDir, 'simulator-outbox.sqlite'));
    const leftOver = first.machines.flatMap((m) => outbox.pending(m.kioskId, 100_000).map((e) => e.event.id));
    outbox.close();
    expect(leftOver.length).toBeGreaterThan(10);
    const retained = await readRetainedStatuses(broker.url, topics, 3);
    for (const machine of first.machines) {
      expect(retained.get(machine.kioskId)).toMatchObject({ state: 'offline', reason: 'shutdown', bootId: machine.bootId });
    }

    const deliveriesBefore = new Map(collector.deliveries);
    collector.isAcking = true;
    const second = startFleet();
    await second.start();

    await expect
      .poll(() => leftOver.every((id) => (collector.deliveries.get(id) ?? 0) > (deliveriesBefore.get(id) ?? 0)), POLL)
      .toBe(true);
    await expect.poll(() => second.machines.every((m) => m.generatedUntilMs() > generatedUntil.get(m.kioskId)!), POLL).toBe(true);
    for (const machine of second.machines) {
      expect(machine.bootId).not.toBe(first.machines.find((m) => m.kioskId === machine.kioskId)!.bootId);
      const regenerated = eventsOf(machine.kioskId).filter(
        (e) => e.id.includes(`-${machine.bootId}-`) && Date.parse(e.ts) <= generatedUntil.get(machine.kioskId)!,
      );
      expect(regenerated).toEqual([]);
    }
    await expect.poll(() => second.pendingCount(), POLL).toBe(0);
  });

  test('a pause command is answered with a command_ack event and stops lending; resume restarts it', async () => {
    collector = await startTestCollector(broker.url, topics, true);
    const fleet = startFleet({ kiosks: loadReferenceFleet(FLEET_CSV, 1) });
    await fleet.start();
    const [machine] = fleet.machines;
    await expect.poll(() => machine!.isOnline(), POLL).toBe(true);
    const command = (id: string, type: 'pause' | 'resume') =>
      JSON.stringify({ id, type, reason: 'road works in front of the machine', by: 'operator-1', ts: new Date().toISOString() });
    const ackOf = (commandId: string) =>
      eventsOf(machine!.kioskId).find((e) => e.type === 'command_ack' && e.commandId === commandId);

    await collector.client.publishAsync(topics.topic(machine!.kioskId, 'commands'), command('cmd-pause', 'pause'), { qos: 1 });
    await expect.poll(() => ackOf('cmd-pause'), POLL).toMatchObject({ type: 'command_ack', result: 'accepted' });
    expect(machine!.isLendingPaused()).toBe(true);
    const pausedAtMs = Date.parse(ackOf('cmd-pause')!.ts);
    await expect.poll(() => machine!.generatedUntilMs(), POLL).toBeGreaterThan(pausedAtMs + 6 * 3_600_000);
    await expect.poll(() => fleet.pendingCount(), POLL).toBe(0);
    const lentWhilePaused = eventsOf(machine!.kioskId).filter(
      (e) => (e.type === 'loan' || e.type === 'return') && Date.parse(e.ts) > pausedAtMs,
    );
    expect(lentWhilePaused).toEqual([]);

    await collector.client.publishAsync(topics.topic(machine!.kioskId, 'commands'), command('cmd-resume', 'resume'), { qos: 1 });
    await expect.poll(() => ackOf('cmd-resume'), POLL).toMatchObject({ result: 'accepted' });
    expect(machine!.isLendingPaused()).toBe(false);
  });

  test('a machine connects with the credentials its provider gives', async () => {
    await broker.close();
    const seen = new Map<string, { username: string | undefined; password: string | undefined }>();
    broker = await startTestBroker({
      authenticate: (client, username, password, done) => {
        seen.set(client.id, { username, password: password?.toString() });
        done(null, client.id === 'test-collector' || password?.toString() === `token-${client.id}`);
      },
    });
    collector = await startTestCollector(broker.url, topics, true);
    const fleet = startFleet({
      kiosks: loadReferenceFleet(FLEET_CSV, 1),
      credentials: (kioskId) => ({ username: kioskId, password: `token-${kioskId}` }),
    });
    await fleet.start();
    const [machine] = fleet.machines;
    await expect.poll(() => machine!.isOnline(), POLL).toBe(true);
    expect(seen.get(machine!.kioskId)).toEqual({ username: machine!.kioskId, password: `token-${machine!.kioskId}` });
  });
});

describe('reference fleet', () => {
  test('the first machines of the reference file, as registry records', () => {
    const fleet = loadReferenceFleet(FLEET_CSV, 70);
    expect(fleet).toHaveLength(70);
    expect(fleet[0]).toMatchObject({
      id: 'CY-001',
      district: '三里屯',
      districtEn: 'Sanlitun',
      capacityBooks: 336,
      installedOn: '2012-08-21',
      lifecycle: 'active',
    });
    expect(loadReferenceFleet(FLEET_CSV, 5).map((k) => k.id)).toEqual(['CY-001', 'CY-002', 'CY-003', 'CY-004', 'CY-005']);
  });

  test('beyond 70, synthetic machines SIM-0071… stand near existing ones, the same every time', () => {
    const fleet = loadReferenceFleet(FLEET_CSV, 73);
    expect(fleet.slice(70).map((k) => k.id)).toEqual(['SIM-0071', 'SIM-0072', 'SIM-0073']);
    expect(loadReferenceFleet(FLEET_CSV, 73)).toEqual(fleet);
    for (const [index, kiosk] of fleet.slice(70).entries()) {
      const base = fleet[index]!;
      expect(kioskRecordSchema.parse(kiosk)).toEqual(kiosk);
      expect(Math.abs(kiosk.lat - base.lat)).toBeLessThanOrEqual(0.01);
      expect(Math.abs(kiosk.lon - base.lon)).toBeLessThanOrEqual(0.01);
      expect(kiosk.district).toBe(base.district);
    }
    expect(new Set(loadReferenceFleet(FLEET_CSV, 200).map((k) => k.id)).size).toBe(200);
  });
});
