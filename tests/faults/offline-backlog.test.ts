import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { REFERENCE_DIR } from '../../platform/index.js';
import { ensureSimulatedCredentials, readSimulatedCredentials } from '../../platform/sim-credentials.js';
import { createSimulatedFleet, loadReferenceFleet, type SimulatedFleet } from '../../simulator/fleet.js';
import { openOutbox } from '../../agent/outbox.js';
import { deliveryVerdict, sqliteInsertOrder } from '../support/delivery-check.js';
import { MqttTap } from '../support/mqtt-tap.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { freePort, readMachineEvents } from './fault-harness.js';
import { busyProfile } from './offline-machine-profile.js';

const OFFLINE_MS = 8 * 3_600_000;
/** One machine lending as much as 2.5 reference networks, around the clock: ~500 events in 8 hours. */
const BUSYNESS = 2.5;
const KIOSK = 'CY-001';

describe('a machine offline for 8 simulated hours, its simulator killed meanwhile', () => {
  let t: TestPlatform;
  let fleet: SimulatedFleet | undefined;
  let tap: MqttTap;

  beforeAll(async () => {
    t = await startTestPlatform();
    tap = await new MqttTap(() => Number(new URL(t.mqttUrl).port)).start();
    const f = t.platform.foundation;
    ensureSimulatedCredentials(
      f.registry,
      loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), 1),
      f.paths.simCredentials,
    );
  });
  afterAll(async () => {
    await fleet?.stop();
    await tap?.stop();
    await t?.stop();
  });

  test('delivers its whole backlog once, in the order it sent it, acked; its live state is the present, not its history', async () => {
    const f = t.platform.foundation;
    // Phase 1: 8 hours generated in ~4 s into the outbox, no broker reachable; then SIGKILL.
    const deadPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/faults/offline-machine.ts'], {
      env: {
        ...process.env,
        DATA_DIR: t.dataDir,
        SIM_KIOSKS: '1',
        SIM_START_MS: String(Date.now() - OFFLINE_MS),
        SIM_SPEED: String(OFFLINE_MS / 4_000),
        BUSYNESS: String(BUSYNESS),
        BROKER_URL: `mqtt://127.0.0.1:${deadPort}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const progress = JSON.parse(line) as { generatedUntilMs: number };
        if (progress.generatedUntilMs >= Date.now() - 30_000) resolve();
      });
      void exited.then(() => reject(new Error('the offline simulator exited early')));
    });
    child.kill('SIGKILL');
    await exited;

    const outbox = openOutbox(join(f.paths.simulator, 'simulator-outbox.sqlite'));
    const backlog = outbox.pending(KIOSK, 100_000).map((e) => e.event);
    outbox.close();
    expect(backlog.length).toBeGreaterThan(300);
    const oldestMs = Math.min(...backlog.map((e) => Date.parse(e.ts)));
    expect(oldestMs).toBeLessThan(Date.now() - 7 * 3_600_000);

    // Phase 2: the machine comes back (real time from now on) and sends what its outbox kept.
    const reconnectedAt = Date.now();
    fleet = createSimulatedFleet({
      brokerUrl: tap.url,
      topics: f.topics,
      kiosks: loadReferenceFleet(join(REFERENCE_DIR, 'reference-fleet.csv'), 1),
      credentials: (id) => {
        const token = readSimulatedCredentials(f.paths.simCredentials)[id];
        return token ? { username: id, password: token } : undefined;
      },
      dataDir: f.paths.simulator,
      clock: { startMs: Date.now(), speed: 1 },
      profile: busyProfile(BUSYNESS),
      batchSize: 50,
      logger: createLogger('silent'),
    });
    await fleet.start();
    await expect.poll(() => fleet!.pendingCount(), { timeout: 30_000, interval: 200 }).toBe(0);
    await t.platform.collector.ingest.drain();

    const stored = (await readMachineEvents(t.platform.store)).filter((e) => e.kioskId === KIOSK);
    const storedIds = stored.map((e) => e.id);
    const backlogIds = new Set(backlog.map((e) => e.id));
    console.info('8 h offline:', { backlog: backlog.length, stored: stored.length, deliveredInMs: Date.now() - reconnectedAt });
    for (const id of backlogIds) expect(storedIds).toContain(id);
    // What the machine sent on the wire (the backlog, then what it went on generating) against
    // the order the store received it in, and the acks it got back.
    const delivery = deliveryVerdict({
      sent: new Map([[KIOSK, tap.sent.get(KIOSK) ?? []]]),
      inserted: new Map([[KIOSK, sqliteInsertOrder(f.paths.events).get(KIOSK) ?? []]]),
      acked: tap.acked,
    });
    expect(delivery).toMatchObject({ missing: [], unexpected: [], machinesOutOfOrder: [], unacked: [], ackedNotStored: [] });
    expect(delivery.stored).toBe(stored.length);

    // The live state: online, seen now (not at the time of its history), today's figures only today's.
    const { body } = await t.get<{
      kiosk: { connection: string; lastSeen: string; today: { day: string; loans: number; returns: number } };
    }>(`/api/v1/kiosks/${KIOSK}`);
    const view = { body: body.kiosk };
    expect(view.body.connection).toBe('online');
    expect(Date.parse(view.body.lastSeen)).toBeGreaterThanOrEqual(reconnectedAt - 1_000);
    const today = f.calendar.dayOf(Date.now());
    const storedToday = stored.filter((e) => f.calendar.dayOf(e.tsMs) === today);
    expect(view.body.today).toEqual({
      day: today,
      loans: storedToday.filter((e) => e.type === 'loan').length,
      returns: storedToday.filter((e) => e.type === 'return').length,
    });
  }, 90_000);
});
