import { type EventEmitter, once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PlatformWebhookPayload } from '../../collector/notify/webhook.js';
import type { EventAck } from '../../protocol/index.js';
import { startHttpReceiver } from '../notify/receivers.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/**
 * An event reusing a stored id with other content used to be acked as stored and counted as a
 * duplicate: a genuine return sent under a reused id vanished without trace.
 */
let dir: string;
let t: TestPlatform;
let ops: Awaited<ReturnType<typeof startHttpReceiver>>;
let machine: MqttClient;

type DeadLetters = { deadLetters: { reason: string; detail: string; payloadExcerpt: string; kioskId?: string }[] };

/** Publishes as the machine does and returns the collector's ack. */
async function send(events: Array<Record<string, unknown>>): Promise<EventAck> {
  const acked = once(machine as unknown as EventEmitter, 'message');
  await machine.publishAsync('kiosks/IC-1/events', JSON.stringify(events), { qos: 1 });
  const [, payload] = (await acked) as [string, Buffer];
  return JSON.parse(payload.toString('utf8')) as EventAck;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-id-conflict-'));
  ops = await startHttpReceiver();
  const config = {
    channels: [{ name: 'ops', type: 'webhook', url: `${ops.url}/platform` }],
    rules: [{ channels: ['ops'], sources: ['platform'] }],
    groupWindowMs: 0,
    retry: { attempts: 1, initialDelayMs: 50, maxDelayMs: 100, timeoutMs: 2_000 },
    platform: { sampleIntervalMs: 50, debounceMs: 0, dropIntervalMs: 0 },
  };
  await writeFile(join(dir, 'notify.json'), JSON.stringify(config));
  t = await startTestPlatform({ NOTIFY_CONFIG: join(dir, 'notify.json') });
  machine = await t.connectKiosk('IC-1', await t.provision('IC-1'));
  await machine.subscribeAsync('kiosks/IC-1/acks', { qos: 1 });
});
afterAll(async () => {
  await t?.stop();
  await ops?.close();
  await rm(dir, { recursive: true, force: true });
});

const loan = { id: 'ic-1', ts: '2026-03-01T10:00:00+08:00', type: 'loan', itemId: 'B-1' };

test('the same event again is a silent duplicate: acked as stored, no dead letter', async () => {
  expect(await send([loan])).toMatchObject({ stored: ['ic-1'], rejected: [] });
  // Redelivered with its keys in another order and its time in UTC: the same event.
  const again = { itemId: 'B-1', type: 'loan', ts: '2026-03-01T02:00:00Z', id: 'ic-1' };
  expect(await send([again])).toMatchObject({ stored: ['ic-1'], rejected: [] });
  expect(t.platform.collector.ingest.stats()).toMatchObject({ duplicates: 1, idConflicts: 0 });
  expect((await t.get<DeadLetters>('/api/v1/dead-letters')).body.deadLetters).toEqual([]);
});

test('another event under a stored id is refused: rejected to the machine, dead-lettered with both versions, counted and told', async () => {
  const genuineReturn = { id: 'ic-1', ts: '2026-03-02T09:00:00+08:00', type: 'return', itemId: 'B-1' };
  const ack = await send([genuineReturn]);
  expect(ack.stored).toEqual([]);
  expect(ack.rejected).toEqual([{ id: 'ic-1', reason: expect.stringMatching(/^id_conflict: /) as string }]);

  await expect
    .poll(async () => (await t.get<DeadLetters>('/api/v1/dead-letters')).body.deadLetters.find((d) => d.reason === 'id_conflict'))
    .toMatchObject({ kioskId: 'IC-1', detail: expect.stringContaining('ic-1') as string });
  const [letter] = (await t.get<DeadLetters>('/api/v1/dead-letters')).body.deadLetters;
  const versions = JSON.parse(letter!.payloadExcerpt) as { stored: { type: string }; refused: { type: string } };
  expect([versions.stored.type, versions.refused.type]).toEqual(['loan', 'return']);
  // The stored loan stays; the return was not stored.
  expect((await t.platform.store.readEvents({ kioskId: 'IC-1' })).map((e) => e.type)).toEqual(['loan']);

  expect(t.platform.collector.ingest.stats()).toMatchObject({ duplicates: 1, idConflicts: 1 });
  const metrics = await (await t.bearer('metrics')).get<string>('/metrics');
  expect(metrics.body).toMatch(/^kiosk_fleet_events_id_conflict_total 1$/m);
  await expect
    .poll(() =>
      ops.received
        .flatMap((r) => (r.body as PlatformWebhookPayload).notices)
        .find((n) => n.kind === 'dropped' && 'counter' in n && n.counter === 'idConflict'),
    )
    .toMatchObject({ dropped: 1 });
});
