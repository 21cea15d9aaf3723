import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningBroker } from '../../broker/broker.js';
import { startEmbeddedBroker } from '../../platform/index.js';
import { type RunningCollector, startCollector } from '../../collector/collector.js';
import type { EventStore } from '../../collector/store/event-store.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import type { SimulatedFleet } from '../../simulator/fleet.js';
import { type AppendLog, recordAppends } from '../support/delivery-check.js';
import { MqttTap } from '../support/mqtt-tap.js';
import {
  createFaultWorld,
  expectCountersExactlyOnce,
  expectExactlyOnceInOrder,
  type FaultWorld,
  verdictOf,
} from './fault-harness.js';

/**
 * A TCP proxy between the machines and the broker that can partition them: while partitioned it
 * forwards nothing and passes on no close (both ends see silence, as with a cut cable), and new
 * connections are accepted but go nowhere. Healing resets every connection left from the
 * partition, as the far end would when a stale connection speaks again.
 */
class PartitionProxy {
  isPartitioned = false;
  port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  partition(): void {
    this.isPartitioned = true;
  }

  heal(): void {
    this.isPartitioned = false;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.heal();
    this.server.close();
    await once(this.server, 'close');
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.isPartitioned) return; // accepted, then silence
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.track(upstream);
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (!this.isPartitioned) to.write(chunk);
      });
      from.on('close', () => {
        if (!this.isPartitioned) to.destroy();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  }
}

const KIOSKS = 50;
const KEEPALIVE_S = 2;

describe('a network partition between the machines and the broker, longer than two keepalives, then healed', () => {
  let world: FaultWorld;
  let broker: RunningBroker;
  let proxy: PartitionProxy;
  let store: EventStore;
  let collector: RunningCollector;
  let fleet: SimulatedFleet;
  let tap: MqttTap;
  let appends: AppendLog;
  const storeFile = () => join(world.dataDir, 'events.sqlite');

  beforeAll(async () => {
    world = await createFaultWorld({ kiosks: KIOSKS, simulatedMs: 15 * 86_400_000, realMs: 20_000, keepaliveSec: KEEPALIVE_S });
    broker = await startEmbeddedBroker(world.f);
    proxy = new PartitionProxy(broker.port);
    await proxy.start();
    // Machines → tap (records what each sent and was acked) → partition proxy → broker.
    tap = await new MqttTap(() => proxy.port).start();
    ({ store, log: appends } = recordAppends(createSqliteEventStore({ file: storeFile(), timeZone: world.f.config.FLEET_TZ })));
    collector = await startCollector({
      mqttUrl: `mqtt://127.0.0.1:${broker.port}`,
      username: 'collector',
      password: world.f.secrets.serviceToken,
      topics: world.f.topics,
      store,
      calendar: world.f.calendar,
      logger: pino({ level: 'silent' }),
    });
  }, 60_000);

  afterAll(async () => {
    await world?.cleanup();
    await tap?.stop();
    await proxy?.stop();
    await collector?.stop();
    await store?.close();
    await broker?.stop();
  }, 60_000);

  test('the broker sees the machines go, they come back, and every generated event is stored once, in the order its machine sent it, acked, and counted once', async () => {
    fleet = await world.startFleet(tap.url);
    await expect.poll(() => broker.stats().connectedKiosks, { timeout: 20_000 }).toBe(KIOSKS);
    await delay(3_000);
    const storedBefore = collector.ingest.stats().eventsStored;
    proxy.partition();
    const partitionedAt = Date.now();
    // The broker times a silent client out at 1.5 × keepalive.
    await expect.poll(() => broker.stats().connectedKiosks, { timeout: 10_000, interval: 200 }).toBe(0);
    const storedDuring = collector.ingest.stats().eventsStored;
    await delay(Math.max(0, 2 * KEEPALIVE_S * 1000 + 1_500 - (Date.now() - partitionedAt)));
    expect(collector.ingest.stats().eventsStored - storedDuring).toBeLessThan(50); // nothing gets through
    const partitionMs = Date.now() - partitionedAt;
    proxy.heal();
    await expect.poll(() => broker.stats().connectedKiosks, { timeout: 30_000, interval: 200 }).toBe(KIOSKS);

    await expect
      .poll(() => Math.min(...fleet.machines.map((m) => m.generatedUntilMs())), { timeout: 40_000, interval: 500 })
      .toBeGreaterThan(Date.now() - 60_000);
    await expect.poll(() => fleet.pendingCount(), { timeout: 60_000, interval: 500 }).toBe(0);
    await collector.ingest.drain();
    const verdict = await verdictOf(store, world.generated, { tap, storeFile: storeFile() });
    console.info('partition:', {
      partitionMs,
      storedBefore,
      generated: verdict.generated,
      sentOnTheWire: tap.sentCount(),
      stored: verdict.stored,
      duplicates: collector.ingest.stats().duplicates,
    });
    expect(verdict.generated).toBeGreaterThan(5_000);
    expectExactlyOnceInOrder(verdict);
    expectCountersExactlyOnce(collector.ingest.stats(), appends, verdict);
  }, 150_000);
});
