import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { commandAckId, createKioskAgent, type KioskAgent, type KioskAgentOptions } from '../../agent/kiosk-agent.js';
import { openOutbox, type Outbox } from '../../agent/outbox.js';
import type { KioskEvent } from '../../protocol/events.js';
import { createTopics } from '../../protocol/topics.js';
import { startTestBroker, startTestCollector, type TestBroker, type TestCollector } from '../simulator/mqtt-harness.js';

const topics = createTopics('kiosks');
const POLL = { timeout: 10_000, interval: 20 };
const loan = (id: string): KioskEvent => ({ id, ts: '2026-11-22T08:30:00+08:00', type: 'loan', itemId: 'B1' });

describe('the kiosk agent: the machine side of the wire contract', () => {
  let dir: string;
  let broker: TestBroker;
  let collector: TestCollector;
  let outbox: Outbox;
  const agents: KioskAgent[] = [];

  const startAgent = (options: Partial<KioskAgentOptions> = {}) => {
    const agent = createKioskAgent({
      kioskId: 'A-001',
      brokerUrl: broker.url,
      topics,
      outbox,
      timestamp: () => new Date().toISOString(),
      logger: pino({ level: 'silent' }),
      ackTimeoutMs: 60_000,
      reconnectPeriodMs: 50,
      ...options,
    });
    agents.push(agent);
    agent.start();
    return agent;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-'));
    outbox = openOutbox(join(dir, 'outbox.sqlite'));
    broker = await startTestBroker();
    collector = await startTestCollector(broker.url, topics, true);
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    await collector.close();
    await broker.close();
    outbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('client id = kiosk id, online status with the boot id, events kept until acked', async () => {
    const agent = startAgent({ bootId: 'boot-1' });
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    expect(broker.clientsById.has('A-001')).toBe(true);
    await expect.poll(() => collector.statuses.at(-1)?.status, POLL).toMatchObject({ state: 'online', bootId: 'boot-1' });
    agent.enqueue([loan('A-001-boot-1-0')]);
    await expect.poll(() => collector.deliveries.get('A-001-boot-1-0'), POLL).toBe(1);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
  });

  test('an unacked event stays in the outbox and is resent after a reconnect, with the same id', async () => {
    collector.isAcking = false;
    const agent = startAgent();
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    agent.enqueue([loan('A-001-x-0')]);
    await expect.poll(() => collector.deliveries.get('A-001-x-0'), POLL).toBe(1);
    expect(agent.pendingCount()).toBe(1);
    broker.clientsById.get('A-001')!.conn.destroy();
    await expect.poll(() => collector.deliveries.get('A-001-x-0'), POLL).toBe(2);
    await collector.ack('A-001', ['A-001-x-0']);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
  });

  test('a command is answered once with a command_ack; a repeat is acknowledged without acting twice', async () => {
    const seen: string[] = [];
    const agent = startAgent({
      onCommand: (command) => {
        seen.push(command.id);
        return command.type === 'reboot' ? { result: 'rejected', detail: 'no reboot here' } : { result: 'done' };
      },
    });
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    const command = { id: 'cmd-1', type: 'reboot', reason: 'test', by: 'op', ts: new Date().toISOString() };
    const send = () => collector.client.publishAsync(topics.topic('A-001', 'commands'), JSON.stringify(command), { qos: 1 });
    await send();
    const ackId = commandAckId('A-001', 'cmd-1');
    await expect
      .poll(() => collector.events.get(ackId), POLL)
      .toMatchObject({
        type: 'command_ack',
        commandId: 'cmd-1',
        result: 'rejected',
        detail: 'no reboot here',
      });
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
    await send(); // QoS 1 may deliver a command again
    await expect.poll(() => collector.deliveries.get(ackId), POLL).toBe(2);
    expect(seen).toEqual(['cmd-1']);
  });

  test('setStatus publishes a retained status with the same boot id, kept across a reconnect', async () => {
    const agent = startAgent({ bootId: 'boot-2' });
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    agent.setStatus('offline', { reason: 'shutdown', announced: true });
    await expect
      .poll(() => collector.statuses.at(-1)?.status, POLL)
      .toMatchObject({ state: 'offline', announced: true, bootId: 'boot-2' });
    const count = collector.statuses.length;
    broker.clientsById.get('A-001')!.conn.destroy();
    await expect.poll(() => collector.statuses.length, POLL).toBeGreaterThan(count + 1);
    // The will (connection lost), then the kept status again after the reconnect.
    expect(collector.statuses.at(-1)?.status).toMatchObject({ state: 'offline', announced: true, bootId: 'boot-2' });
  });

  // A bridge holds hundreds of agents in one process, each flushing every second: a flush with
  // nothing to send must not query the outbox, or the queries pile up on the answers' event loop.
  test('an agent whose events are all acked asks the outbox nothing when it flushes; new events still go out', async () => {
    let queries = 0;
    const counted: Outbox = { ...outbox, pending: (...args) => (queries++, outbox.pending(...args)) };
    const agent = startAgent({ outbox: counted, flushIntervalMs: 20 });
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    agent.enqueue([loan('A-001-q-0')]);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
    const afterAck = queries;
    for (let n = 0; n < 20; n++) agent.flush();
    expect(queries).toBe(afterAck);
    agent.enqueue([loan('A-001-q-1')]);
    await expect.poll(() => collector.deliveries.get('A-001-q-1'), POLL).toBe(1);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
  });

  // On a SIP2 bridge this flush runs between readers' answers: the new event is published from
  // memory, marked sent in the commit that added it, never read back or committed again.
  test('an event added while nothing is unacked is published without reading the outbox or marking it sent later', async () => {
    const calls: string[] = [];
    const counted: Outbox = {
      ...outbox,
      pending: (...args) => (calls.push('pending'), outbox.pending(...args)),
      markSent: (...args) => (calls.push('markSent'), outbox.markSent(...args)),
    };
    const agent = startAgent({ outbox: counted });
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
    calls.length = 0;
    agent.enqueue([loan('A-001-d-0')]);
    await expect.poll(() => collector.deliveries.get('A-001-d-0'), POLL).toBe(1);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
    expect(calls).toEqual([]);
  });

  test('an event added while older ones still wait to be sent goes out after them, in order', async () => {
    collector.isAcking = false;
    const older = [0, 1, 2, 3, 4].map((n) => loan(`A-001-old-${n}`));
    outbox.add('A-001', older);
    const agent = startAgent({ maxEventsPerFlush: 2, flushIntervalMs: 20 });
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    agent.enqueue([loan('A-001-new')]);
    await expect.poll(() => collector.deliveries.get('A-001-new'), POLL).toBe(1);
    expect([...collector.events.keys()]).toEqual([...older.map((e) => e.id), 'A-001-new']);
  });

  test('after a quiet spell, an event whose ack does not come is sent again after the ack timeout, without a reconnect', async () => {
    const agent = startAgent({ ackTimeoutMs: 200, flushIntervalMs: 20 });
    await expect.poll(() => agent.isOnline(), POLL).toBe(true);
    agent.enqueue([loan('A-001-r-0')]);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
    collector.isAcking = false;
    agent.enqueue([loan('A-001-r-1')]);
    await expect.poll(() => collector.deliveries.get('A-001-r-1'), POLL).toBeGreaterThanOrEqual(2);
    await collector.ack('A-001', ['A-001-r-1']);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
  });

  test('what a previous run left unacked in the outbox is sent after a start, without any new event', async () => {
    outbox.add('A-001', [loan('A-001-old-0'), loan('A-001-old-1')]);
    const agent = startAgent();
    await expect.poll(() => collector.deliveries.get('A-001-old-1'), POLL).toBe(1);
    await expect.poll(() => agent.pendingCount(), POLL).toBe(0);
  });
});
