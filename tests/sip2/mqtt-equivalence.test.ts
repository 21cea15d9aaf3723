import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKioskAgent, type KioskAgent } from '../../agent/kiosk-agent.js';
import { createLocalTime } from '../../agent/local-time.js';
import { openOutbox, type Outbox } from '../../agent/outbox.js';
import type { KioskEvent } from '../../protocol/events.js';
import { createTopics } from '../../protocol/topics.js';
import { startSip2Bridge, type RunningSip2Bridge } from '../../sip2/bridge/bridge.js';
import { loadMapping } from '../../sip2/bridge/mapping.js';
import { encodeSip2 } from '../../sip2/codec/encode.js';
import { connectSip2Client, requestFor, type Sip2Client } from '../../sip2/sim/sip2-client.js';
import { createActivityState, generateActivity } from '../../simulator/generate.js';
import { loadCirculationProfile } from '../../simulator/profile.js';
import { createRng } from '../../simulator/random.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { startStubAcs, writeMapping, type StubAcs } from './sip2-harness.js';

const REFERENCE = resolve(import.meta.dirname, '../../reference');
const TZ = 'Asia/Shanghai';
/** A full year for one machine: about 3,400 loans and returns (seed 15), each a SIP2 round trip. */
const YEAR = {
  from: '2023-01',
  to: '2023-12',
  fromMs: Date.parse('2023-01-01T00:00:00+08:00'),
  toMs: Date.parse('2024-01-01T00:00:00+08:00') - 1,
};

describe('the same traffic over SIP2 through the bridge and over MQTT', () => {
  let t: TestPlatform;
  let dir: string;
  let acs: StubAcs;
  let bridge: RunningSip2Bridge;
  let agent: KioskAgent;
  let outbox: Outbox;
  let client: Sip2Client;

  beforeAll(async () => {
    // The bridge publishes one message per transaction here, far above a machine's publish budget.
    t = await startTestPlatform({ PUBLISH_RATE_PER_KIOSK: '0' });
    dir = await mkdtemp(join(tmpdir(), 'sip2-equivalence-'));
    acs = await startStubAcs();
  });
  afterAll(async () => {
    client?.close();
    await agent?.stop();
    outbox?.close();
    await bridge?.stop();
    await acs?.close();
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a year gives the same monthly table: 0 difference in every month', { timeout: 240_000 }, async () => {
    const profile = loadCirculationProfile(
      join(REFERENCE, 'circulation-2023-chaoyang.csv'),
      join(REFERENCE, 'fault-catalogue.csv'),
      70,
    );
    const generated = generateActivity(profile, 'EQ', YEAR.fromMs, YEAR.toMs, createRng(15), createActivityState('year'));
    const traffic = generated.events.filter(
      (e): e is KioskEvent & { type: 'loan' | 'return' } => e.type === 'loan' || e.type === 'return',
    );
    expect(traffic.length).toBeGreaterThan(1_000);

    const [mqttToken, sip2Token] = [await t.provision('EQ-MQTT'), await t.provision('EQ-SIP2')];
    outbox = openOutbox(join(dir, 'mqtt-outbox.sqlite'));
    agent = createKioskAgent({
      kioskId: 'EQ-MQTT',
      brokerUrl: t.mqttUrl,
      topics: createTopics('kiosks'),
      credentials: { username: 'EQ-MQTT', password: mqttToken },
      outbox,
      timestamp: () => new Date().toISOString(),
      batchSize: 250,
      flushIntervalMs: 100,
      logger: pino({ level: 'silent' }),
    });
    agent.start();
    agent.enqueue(traffic.map((e) => ({ ...e, id: `EQ-MQTT-${e.id}` })));

    bridge = await startSip2Bridge({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: acs.port },
      mapping: loadMapping(writeMapping(dir, [`EQ-SIP2,${sip2Token},eq-sc,,`])),
      brokerUrl: t.mqttUrl,
      topics: createTopics('kiosks'),
      dataDir: join(dir, 'bridge'),
      timeZone: TZ,
      offlineAfterMs: 300_000,
      logger: pino({ level: 'silent' }),
      agent: { flushIntervalMs: 100, batchSize: 250 },
    });
    client = await connectSip2Client('127.0.0.1', bridge.port);
    await client.request(
      encodeSip2(
        '93',
        ['0', '0'],
        [
          ['CN', 'eq-sc'],
          ['CO', 'pw'],
        ],
      ),
    );
    const local = createLocalTime(TZ);
    for (const event of traffic) {
      const answer = await client.request(requestFor(event, local, 'CYLIB', 'P-EQ')!);
      expect(answer.slice(0, 3)).toMatch(/^(121|101)$/);
    }

    const table = async (kiosk: string) =>
      (
        await t.get<{ table: { rows: Array<{ month: string; loans: number; returns: number }> } }>(
          `/api/v1/reports/circulation?from=${YEAR.from}&to=${YEAR.to}&kiosk=${kiosk}`,
        )
      ).body;
    const totalOf = async (kiosk: string) => sumRows(await table(kiosk));
    await expect.poll(() => totalOf('EQ-MQTT'), { timeout: 120_000, interval: 250 }).toBe(traffic.length);
    await expect.poll(() => totalOf('EQ-SIP2'), { timeout: 120_000, interval: 250 }).toBe(traffic.length);
    const rowsOf = (body: unknown) => monthRows(body).map(({ month, loans, returns }) => ({ month, loans, returns }));
    const [viaMqtt, viaSip2] = [rowsOf(await table('EQ-MQTT')), rowsOf(await table('EQ-SIP2'))];
    expect(viaMqtt).toHaveLength(12);
    expect(viaSip2).toEqual(viaMqtt);
  });
});

function monthRows(body: unknown): Array<{ month: string; loans: number; returns: number }> {
  const b = body as { rows?: unknown; table?: { rows?: unknown } };
  return (b.table?.rows ?? b.rows ?? []) as Array<{ month: string; loans: number; returns: number }>;
}

function sumRows(body: unknown): number {
  return monthRows(body).reduce((sum, row) => sum + row.loans + row.returns, 0);
}
