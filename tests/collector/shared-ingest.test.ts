import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningCollector, startCollector } from '../../collector/collector.js';
import { createCalendar } from '../../time/calendar.js';
import type { EventStore } from '../../collector/store/event-store.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import type { EventAck } from '../../protocol/index.js';
import { createTopics } from '../../protocol/topics.js';
import { MOSQUITTO, startMosquitto } from '../support/mosquitto.js';

const topics = createTopics('kiosks');
const MACHINES = ['kiosk-1', 'kiosk-2', 'kiosk-3', 'kiosk-4'];
const EVENTS_PER_MACHINE = 25;

// CI installs Debian's mosquitto (.ci/run); elsewhere the test runs when it is present.
describe.skipIf(!existsSync(MOSQUITTO) && !process.env.CI)(
  'collectors sharing the ingest of an external broker (MQTT_SHARE_GROUP)',
  () => {
    let dir: string;
    let mosquitto: { url: string; process: ChildProcess } | undefined;
    // One store for both, as the nodes of a cluster share one PostgreSQL history.
    let store: EventStore;
    const collectors: RunningCollector[] = [];
    const machines: MqttClient[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-share-'));
      mosquitto = await startMosquitto(dir);
      store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: 'UTC' });
    });
    afterAll(async () => {
      await Promise.all(machines.map((machine) => machine.endAsync(true)));
      await Promise.all(collectors.map((collector) => collector.stop()));
      await store?.close();
      mosquitto?.process.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    });

    test('two collectors in one group store every event exactly once between them, and every machine gets its acks', async () => {
      for (const clientId of ['collector-node-1', 'collector-node-2']) {
        collectors.push(
          await startCollector({
            mqttUrl: mosquitto!.url,
            clientId,
            shareGroup: 'ingest',
            topics,
            store,
            calendar: createCalendar('UTC'),
            logger: pino({ level: 'silent' }),
          }),
        );
      }
      const acked = new Set<string>();
      for (const id of MACHINES) {
        const machine = await connectAsync(mosquitto!.url, { clientId: id, protocolVersion: 4, reconnectPeriod: 0 }, false);
        machines.push(machine);
        machine.on('message', (_topic, payload) => {
          for (const eventId of (JSON.parse(payload.toString()) as EventAck).stored) acked.add(eventId);
        });
        await machine.subscribeAsync(topics.topic(id, 'acks'), { qos: 1 });
      }

      const ids: string[] = [];
      for (let n = 1; n <= EVENTS_PER_MACHINE; n += 1) {
        await Promise.all(
          machines.map((machine, i) => {
            const id = `${MACHINES[i]}-ev-${n}`;
            ids.push(id);
            const event = { id, ts: new Date().toISOString(), type: 'loan', itemId: `B${n}` };
            return machine.publishAsync(topics.topic(MACHINES[i]!, 'events'), JSON.stringify(event), { qos: 1 });
          }),
        );
      }

      await expect.poll(() => acked.size, { timeout: 15_000 }).toBe(ids.length);
      expect([...acked].sort()).toEqual([...ids].sort());
      const stats = collectors.map((collector) => collector.ingest.stats());
      // Each event went to one collector only: stored once in all, no collector saw another's.
      expect(stats.reduce((sum, s) => sum + s.eventsStored, 0)).toBe(ids.length);
      expect(stats.map((s) => s.duplicates)).toEqual([0, 0]);
      // Both took part (Mosquitto hands a group's messages round-robin).
      expect(stats.every((s) => s.eventsStored > 0)).toBe(true);
      const stored = await Promise.all(MACHINES.map((kioskId) => store.readEvents({ kioskId })));
      expect(
        stored
          .flat()
          .map((e) => e.id)
          .sort(),
      ).toEqual([...ids].sort());
    });
  },
);
