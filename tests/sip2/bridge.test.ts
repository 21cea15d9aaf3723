// This file is long because it drives every SIP2 message type through a real bridge between a
// scripted machine and a stub library system, checking byte-exact forwarding in each case.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createTopics } from '../../protocol/topics.js';
import { encodeSip2 } from '../../sip2/codec/encode.js';
import { parseSip2, fieldOf } from '../../sip2/codec/parse.js';
import { startSip2Bridge, type RunningSip2Bridge, type Sip2BridgeOptions } from '../../sip2/bridge/bridge.js';
import { loadMapping } from '../../sip2/bridge/mapping.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import {
  connectSc,
  defaultScript,
  DEFAULT_BEHAVIOUR,
  sip2Date,
  startStubAcs,
  writeMapping,
  type ScriptedSc,
  type StubAcs,
} from './sip2-harness.js';

const POLL = { timeout: 15_000, interval: 50 };
const BLANK = ' '.repeat(18);
/** Reader data the scripted machines send: none of it may reach the platform or a log. */
const PATRON = {
  id: 'P-READER-778899',
  password: 'pin-4321',
  name: 'Zhang Wei-Reader',
  terminalPassword: 'term-secret-55',
  loginPassword: 'login-secret-66',
};

const login = (cn: string, cp = '', seq?: number) =>
  encodeSip2('93', ['0', '0'], [['CN', cn], ['CO', PATRON.loginPassword], ...(cp ? [['CP', cp] as const] : [])], seq);
const scStatus = (code: string, seq?: number) => encodeSip2('99', [code, '080', '2.00'], [], seq);
const checkout = (item: string, date: string, seq?: number, noBlock = 'N') =>
  encodeSip2(
    '11',
    ['N', noBlock, date, BLANK],
    [
      ['AO', 'CYLIB'],
      ['AA', PATRON.id],
      ['AB', item],
      ['AC', PATRON.terminalPassword],
      ['AD', PATRON.password],
    ],
    seq,
  );
const checkin = (item: string, date: string, seq?: number) =>
  encodeSip2(
    '09',
    ['N', date, date],
    [
      ['AP', 'CYLIB'],
      ['AO', 'CYLIB'],
      ['AB', item],
      ['AC', PATRON.terminalPassword],
    ],
    seq,
  );
const renew = (item: string, date: string, seq?: number) =>
  encodeSip2(
    '29',
    ['N', 'N', date, BLANK],
    [
      ['AO', 'CYLIB'],
      ['AA', PATRON.id],
      ['AB', item],
      ['AD', PATRON.password],
    ],
    seq,
  );

interface StoredEvent {
  kioskId: string;
  id: string;
  ts: string;
  type: string;
  [key: string]: unknown;
}

describe('the SIP2 bridge between scripted machines and a stub library system', () => {
  let t: TestPlatform;
  let dir: string;
  let mapFile: string;
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const open: { bridges: RunningSip2Bridge[]; acs: StubAcs[]; scs: ScriptedSc[] } = { bridges: [], acs: [], scs: [] };

  beforeAll(async () => {
    t = await startTestPlatform();
    dir = await mkdtemp(join(tmpdir(), 'sip2-bridge-'));
    const rows: string[] = [];
    for (const [id, cn, cp] of [
      ['S2-001', 'sc-one', ''],
      ['S2-002', '', 'LOC-TWO'],
      ['S2-003', 'sc-three', ''],
    ] as const) {
      rows.push(`${id},${await t.provision(id)},${cn},${cp},`);
    }
    mapFile = writeMapping(dir, rows);
  });
  afterAll(async () => {
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const sc of open.scs.splice(0)) sc.close();
    await Promise.all(open.bridges.splice(0).map((b) => b.stop()));
    await Promise.all(open.acs.splice(0).map((a) => a.close()));
  });

  async function setUp(options: Partial<Sip2BridgeOptions> = {}, acs?: StubAcs) {
    const stub = acs ?? (await startStubAcs());
    if (!acs) open.acs.push(stub);
    const bridge = await startSip2Bridge({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: stub.port },
      mapping: loadMapping(mapFile),
      brokerUrl: t.mqttUrl,
      topics: createTopics('kiosks'),
      dataDir: join(dir, `bridge-${open.bridges.length}-${Date.now()}`),
      timeZone: 'Asia/Shanghai',
      offlineAfterMs: 60_000,
      logger,
      agent: { reconnectPeriodMs: 100, ackTimeoutMs: 2_000, flushIntervalMs: 100 },
      ...options,
    });
    open.bridges.push(bridge);
    const sc = async () => {
      const client = await connectSc(bridge.port);
      open.scs.push(client);
      return client;
    };
    return { acs: stub, bridge, sc };
  }

  const eventsOf = async (kioskId: string, types: string) =>
    (await t.get<{ events: StoredEvent[] }>(`/api/v1/events?kiosk=${kioskId}&type=${types}&limit=1000`)).body.events;

  /** Byte-exact both ways: what the ACS got is what the SC sent, and back. */
  function expectByteExact(sc: ScriptedSc, acs: StubAcs) {
    expect(acs.received().equals(sc.sent())).toBe(true);
    expect(sc.received().equals(acs.sent())).toBe(true);
  }

  test('a checkout answered ok is a loan, a checkin a return, a renewal a renewal; bytes pass unchanged', async () => {
    const { acs, bridge, sc } = await setUp();
    const machine = await sc();
    await expect.poll(() => bridge.links.get('S2-001')!.agent.isOnline(), POLL).toBe(true);
    machine.send(`${login('sc-one')}\r`);
    machine.send(`${scStatus('0')}\r\n`);
    machine.send(`${checkout('B-1001', sip2Date('2026-03-01T08:30:00'))}\r`);
    machine.send(`${checkin('B-1002', sip2Date('2026-03-01T08:31:00'))}\r\n`);
    machine.send(`${renew('B-1003', sip2Date('2026-03-01T08:32:00'))}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(5);
    expectByteExact(machine, acs);
    await expect.poll(async () => (await eventsOf('S2-001', 'loan,return,renewal')).length, POLL).toBe(3);
    const events = await eventsOf('S2-001', 'loan,return,renewal');
    expect(events.map((e) => [e.type, e.itemId, e.ts]).sort()).toEqual([
      ['loan', 'B-1001', '2026-03-01T08:30:00.000+08:00'],
      ['renewal', 'B-1003', '2026-03-01T08:32:00.000+08:00'],
      ['return', 'B-1002', '2026-03-01T08:31:00.000+08:00'],
    ]);
    expect(events.every((e) => e.forwardedOffline === undefined)).toBe(true);
  });

  test('a refused checkout is counted per reason, never as a loan; an offline checkout keeps its own date and is flagged', async () => {
    const behaviour = {
      ...DEFAULT_BEHAVIOUR,
      refusalOf: (item: string) => (item === 'B-HELD' ? `Item on hold for another patron, ${PATRON.name}` : undefined),
    };
    const { acs, sc } = await setUp({}, await startStubAcs(defaultScript(behaviour)));
    open.acs.push(acs);
    const machine = await sc();
    machine.send(`${login('', 'LOC-TWO')}\r`);
    machine.send(`${checkout('B-HELD', sip2Date('2026-03-02T09:00:00'))}\r`);
    machine.send(`${checkout('B-2001', sip2Date('2026-02-27T22:15:00'), undefined, 'Y')}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(3);
    expectByteExact(machine, acs);
    await expect.poll(async () => (await eventsOf('S2-002', 'loan,transaction_refused')).length, POLL).toBe(2);
    const events = await eventsOf('S2-002', 'loan,transaction_refused');
    expect(events.find((e) => e.type === 'transaction_refused')).toMatchObject({
      operation: 'loan',
      reason: 'item_on_hold',
      itemId: 'B-HELD',
    });
    expect(events.find((e) => e.type === 'loan')).toMatchObject({
      itemId: 'B-2001',
      ts: '2026-02-27T22:15:00.000+08:00',
      forwardedOffline: true,
    });
    const history = await t.get<{ months: Array<{ month: string; loans: number }> }>(
      '/api/v1/kiosks/S2-002/history/circulation?days=7',
    );
    expect(history.body.months.find((m) => m.month === '2026-03')?.loans ?? 0).toBe(0);
  });

  test('printer out of paper is a fault until status 0; status 2 is an announced stop, not a fault', async () => {
    const { acs, sc } = await setUp();
    const machine = await sc();
    machine.send(`${login('sc-three')}\r${scStatus('1')}\r`);
    await expect.poll(async () => (await eventsOf('S2-003', 'fault')).map((e) => e.component), POLL).toEqual(['receipt_printer']);
    machine.send(`${scStatus('0')}\r`);
    await expect.poll(async () => (await eventsOf('S2-003', 'fault_cleared')).length, POLL).toBe(1);
    machine.send(`${scStatus('2')}\r`);
    await expect
      .poll(async () => (await eventsOf('S2-003', 'status')).at(0), POLL)
      .toMatchObject({ state: 'offline', announced: true });
    expect(await eventsOf('S2-003', 'fault')).toHaveLength(1);
    await expect.poll(() => machine.lines().length, POLL).toBe(4);
    expectByteExact(machine, acs);
  });

  test('the SIP2 rhythm is the heartbeat: a link silent longer than OFFLINE_AFTER_MS is offline, online again when heard', async () => {
    const { sc } = await setUp({ offlineAfterMs: 1_000 });
    const machine = await sc();
    machine.send(`${login('sc-three')}\r${scStatus('0')}\r`);
    const latestStatus = async () => (await eventsOf('S2-003', 'status')).at(0);
    await expect.poll(latestStatus, POLL).toMatchObject({ state: 'online' });
    await expect.poll(latestStatus, POLL).toMatchObject({ state: 'offline', reason: expect.stringContaining('silent') });
    machine.send(`${scStatus('0')}\r`);
    await expect.poll(latestStatus, POLL).toMatchObject({ state: 'online' });
  });

  test('each machine’s SIP2 traffic is a heartbeat reading, sent after the answer or, with none coming, at the timeout', async () => {
    const answer = defaultScript();
    // S2-001's login is answered; S2-003's never is.
    const acs = await startStubAcs((line) => (line.startsWith('93') && line.includes('CNsc-three') ? { hang: true } : answer(line)));
    open.acs.push(acs);
    const { sc } = await setUp({ acsResponseTimeoutMs: 300 }, acs);
    const readings = async (kioskId: string) =>
      (await t.get<{ readings: unknown[] }>(`/api/v1/kiosks/${kioskId}/history/telemetry?hours=24`)).body.readings.length;
    const before = { answered: await readings('S2-001'), unanswered: await readings('S2-003') };
    // A heartbeat goes out only over a live MQTT connection: wait for both machines' agents.
    await expect.poll(() => ['S2-001', 'S2-003'].every((id) => t.platform.broker!.isKioskConnected(id)), POLL).toBe(true);
    const [answered, unanswered] = [await sc(), await sc()];
    answered.send(`${login('sc-one')}\r`);
    unanswered.send(`${login('sc-three')}\r`);
    await expect.poll(() => readings('S2-001'), POLL).toBe(before.answered + 1);
    await expect.poll(() => readings('S2-003'), POLL).toBe(before.unanswered + 1);
    expect(answered.lines()).toHaveLength(1);
    expect(unanswered.lines()).toHaveLength(0);
    // The hang opened the library-system fault on every machine: an answer clears it for the next test.
    const cleared = (await eventsOf('S2-003', 'fault_cleared')).length;
    answered.send(`${scStatus('0')}\r`);
    await expect.poll(async () => (await eventsOf('S2-003', 'fault_cleared')).length, POLL).toBeGreaterThan(cleared);
  });

  test('the library system refusing loans (98 checkout N) is a fault that blocks lending, cleared when Y again', async () => {
    const behaviour = { ...DEFAULT_BEHAVIOUR, isCheckoutOk: false };
    const acs = await startStubAcs(defaultScript(behaviour));
    open.acs.push(acs);
    const { sc } = await setUp({}, acs);
    const machine = await sc();
    machine.send(`${login('sc-one')}\r${scStatus('0')}\r`);
    await expect
      .poll(async () => (await eventsOf('S2-001', 'fault')).find((e) => e.code === 'SIP2_ACS_REFUSES_LOANS'), POLL)
      .toMatchObject({ blocksLending: true, severity: 'critical' });
    behaviour.isCheckoutOk = true;
    machine.send(`${scStatus('0')}\r`);
    await expect.poll(async () => (await eventsOf('S2-001', 'fault_cleared')).length, POLL).toBeGreaterThanOrEqual(1);
    await expect.poll(() => machine.lines().length, POLL).toBe(3);
    expectByteExact(machine, acs);
  });

  test('split and coalesced reads, CR and CRLF, with checksums: each transaction observed once', async () => {
    const { acs, bridge, sc } = await setUp();
    const machine = await sc();
    const text = `${login('sc-three', '', 0)}\r\n${checkout('B-3001', sip2Date('2026-03-03T10:00:00'), 1)}\r${checkin('B-3002', sip2Date('2026-03-03T10:01:00'), 2)}\r\n`;
    for (const byte of Buffer.from(text, 'latin1')) machine.send(Buffer.from([byte]));
    await expect.poll(() => machine.lines().length, POLL).toBe(3);
    expect(machine.lines().every((line) => parseSip2(line).ok)).toBe(true);
    await expect.poll(async () => (await eventsOf('S2-003', 'loan,return')).length, POLL).toBe(2);
    expectByteExact(machine, acs);
    expect(bridge.stats().deadLetters).toEqual({});
    // Each answer's time in the bridge is recorded once, however the reads were cut.
    expect(bridge.stats().answerTiming.answers).toBe(3);
  });

  test('a bad checksum is forwarded, dead-lettered and answered 96; the resent checkout and a 97 resend count once', async () => {
    const { acs, bridge, sc } = await setUp();
    const machine = await sc();
    machine.send(`${login('sc-one', '', 0)}\r`);
    const good = checkout('B-4001', sip2Date('2026-03-04T11:00:00'), 1);
    const bad = `${good.slice(0, -4)}${good.slice(-4) === '0000' ? '0001' : '0000'}`;
    machine.send(`${bad}\r`);
    await expect.poll(() => machine.lines().at(-1), POLL).toBe('96');
    machine.send(`${good}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(3);
    machine.send(`${encodeSip2('97', [], [])}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(4);
    expect(machine.lines()[3]).toBe(machine.lines()[2]);
    await expect.poll(async () => (await eventsOf('S2-001', 'loan')).filter((e) => e.itemId === 'B-4001').length, POLL).toBe(1);
    // The resent answer reaches the outbox too; it is the same event id, so stored once.
    await expect.poll(() => bridge.stats().machines.find((m) => m.kioskId === 'S2-001')!.pendingEvents, POLL).toBe(0);
    expect((await eventsOf('S2-001', 'loan')).filter((e) => e.itemId === 'B-4001')).toHaveLength(1);
    expect(bridge.stats().deadLetters).toEqual({ bad_checksum: 1 });
    expect(bridge.stats().resendRequests).toBe(2);
    expectByteExact(machine, acs);
  });

  test('garbage bytes, unknown codes and a 1 MB line without a terminator are forwarded, dead-lettered, and the link goes on', async () => {
    const acs = await startStubAcs((line) =>
      line.startsWith('93') ? '941' : line.startsWith('11') ? defaultScript()(line) : undefined,
    );
    open.acs.push(acs);
    const { bridge, sc } = await setUp({ maxMessageBytes: 4_096 }, acs);
    const machine = await sc();
    machine.send(`${login('sc-one')}\r`);
    machine.send(Buffer.from([0x00, 0xff, 0x13, 0x0d]));
    machine.send('42 what is this\r');
    machine.send(Buffer.alloc(1_048_576, 0x41));
    machine.send(`\r${checkout('B-5001', sip2Date('2026-03-05T12:00:00'))}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(2);
    await expect.poll(() => acs.received().length, POLL).toBe(machine.sent().length);
    expectByteExact(machine, acs);
    expect(bridge.stats().deadLetters).toMatchObject({ unknown_code: 2, too_long: 1 });
    await expect.poll(async () => (await eventsOf('S2-001', 'loan')).filter((e) => e.itemId === 'B-5001').length, POLL).toBe(1);
  });

  test('garbage and unknown codes from the library system reach the machine unchanged', async () => {
    const acs = await startStubAcs((line) =>
      line.startsWith('93') ? { raw: Buffer.from([0x34, 0x32, 0xfe, 0x00, 0x0d, 0x0a, 0x39, 0x34, 0x31, 0x0d]) } : undefined,
    );
    open.acs.push(acs);
    const { bridge, sc } = await setUp({}, acs);
    const machine = await sc();
    machine.send(`${login('sc-one')}\r`);
    await expect.poll(() => machine.received().length, POLL).toBe(10);
    expectByteExact(machine, acs);
    expect(bridge.stats().deadLetters).toMatchObject({ unknown_code: 1 });
  });

  test('a library system that hangs is a network fault on every machine it serves, cleared when it answers', async () => {
    let isHanging = true;
    const answer = defaultScript();
    const acs = await startStubAcs((line) => (isHanging && line.startsWith('99') ? { hang: true } : answer(line)));
    open.acs.push(acs);
    const { sc } = await setUp({ acsResponseTimeoutMs: 300 }, acs);
    const machine = await sc();
    machine.send(`${login('sc-one')}\r${scStatus('0')}\r`);
    for (const id of ['S2-001', 'S2-002', 'S2-003'])
      await expect
        .poll(async () => (await eventsOf(id, 'fault')).find((e) => e.code === 'SIP2_ACS_UNREACHABLE'), POLL)
        .toMatchObject({ component: 'network', blocksLending: true });
    isHanging = false;
    machine.send(`${scStatus('0')}\r`);
    for (const id of ['S2-001', 'S2-002', 'S2-003'])
      await expect.poll(async () => (await eventsOf(id, 'fault_cleared')).length, POLL).toBeGreaterThanOrEqual(1);
    await expect.poll(() => machine.lines().length, POLL).toBe(2);
    expectByteExact(machine, acs);
  });

  test('a library system that resets the connection closes the machine’s connection cleanly; the next one is served', async () => {
    const answer = defaultScript();
    const acs = await startStubAcs((line) => (line.startsWith('11') ? { reset: true } : answer(line)));
    open.acs.push(acs);
    const { bridge, sc } = await setUp({}, acs);
    const first = await sc();
    first.send(`${login('sc-one')}\r${checkout('B-6001', sip2Date('2026-03-06T08:00:00'))}\r`);
    await expect.poll(() => first.isClosed(), POLL).toBe(true);
    expect(first.lines()).toEqual(['941']);
    const second = await sc();
    second.send(`${login('sc-one')}\r`);
    await expect.poll(() => second.lines(), POLL).toEqual(['941']);
    expect(bridge.stats().connections).toBe(2);
    expect(acs.received().equals(Buffer.concat([first.sent(), second.sent()]))).toBe(true);
    expect(Buffer.concat([first.received(), second.received()]).equals(acs.sent())).toBe(true);
  });

  test('an unmapped machine is forwarded, counted and logged', async () => {
    const { acs, bridge, sc } = await setUp();
    const machine = await sc();
    machine.send(`${login('sc-stranger', 'NOWHERE')}\r${checkout('B-7001', sip2Date('2026-03-07T08:00:00'))}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(2);
    expectByteExact(machine, acs);
    expect(bridge.stats().unmappedConnections).toBe(1);
    expect(logLines.some((line) => line.includes('not in SIP2_MAP'))).toBe(true);
  });

  test('pause answers the machine’s status with checkout not allowed and a screen message; resume restores the library system’s flags; reboot is refused', async () => {
    const { acs, bridge, sc } = await setUp({ pauseScreenMessage: 'Paused for maintenance' });
    const machine = await sc();
    machine.send(`${login('sc-three', '', 0)}\r`);
    await expect.poll(() => bridge.links.get('S2-003')!.agent.isOnline(), POLL).toBe(true);
    const admin = await t.api('admin');
    const send = async (type: string) =>
      (await admin.post<{ command: { id: string } }>('/api/v1/kiosks/S2-003/commands', { type, reason: 'test' })).body.command.id;
    const commandStatus = async (id: string) =>
      (
        await t.get<{ commands: Array<{ id: string; status: string; detail?: string }> }>('/api/v1/kiosks/S2-003/commands')
      ).body.commands.find((c) => c.id === id);

    const paused = await send('pause');
    await expect.poll(() => bridge.links.get('S2-003')!.isPaused(), POLL).toBe(true);
    machine.send(`${scStatus('0', 1)}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(2);
    const rewritten = parseSip2(machine.lines()[1]!);
    expect(rewritten).toMatchObject({ ok: true, message: { code: '98', sequence: 1, fixed: { checkoutOk: 'N', onLine: 'Y' } } });
    expect(rewritten.ok && fieldOf(rewritten.message, 'AF')).toBe('Paused for maintenance');
    expect(acs.received().equals(machine.sent())).toBe(true);
    await expect.poll(async () => (await commandStatus(paused))?.status, POLL).toBe('done');

    await send('resume');
    await expect.poll(() => bridge.links.get('S2-003')!.isPaused(), POLL).toBe(false);
    const before = machine.received().length;
    machine.send(`${scStatus('0', 2)}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(3);
    expect(
      machine
        .received()
        .subarray(before)
        .equals(acs.sent().subarray(acs.sent().length - (machine.received().length - before))),
    ).toBe(true);
    expect(parseSip2(machine.lines()[2]!)).toMatchObject({ ok: true, message: { fixed: { checkoutOk: 'Y' } } });

    const reboot = await send('reboot');
    await expect.poll(async () => (await commandStatus(reboot))?.status, POLL).toBe('rejected');
  });

  test('forwarding goes on while the broker is unreachable; observations wait in the outbox', async () => {
    const { acs, bridge, sc } = await setUp({ brokerUrl: 'mqtt://127.0.0.1:1' });
    const machine = await sc();
    machine.send(`${login('sc-one')}\r${checkout('B-8001', sip2Date('2026-03-08T08:00:00'))}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(2);
    expectByteExact(machine, acs);
    expect(bridge.stats().machines.find((m) => m.kioskId === 'S2-001')!.pendingEvents).toBe(1);
  });

  test('with the outbox full, observations are dropped and counted while the traffic flows', async () => {
    const { acs, bridge, sc } = await setUp({ brokerUrl: 'mqtt://127.0.0.1:1', outboxMaxBytes: 1 });
    const machine = await sc();
    machine.send(`${login('sc-one')}\r`);
    for (let i = 0; i < 50; i++)
      machine.send(`${checkout(`B-9${String(i).padStart(3, '0')}`, sip2Date('2026-03-09T08:00:00'))}\r`);
    await expect.poll(() => machine.lines().length, POLL).toBe(51);
    expectByteExact(machine, acs);
    expect(bridge.stats().machines.find((m) => m.kioskId === 'S2-001')!.droppedObservations).toBeGreaterThan(0);
  });

  test('no reader data leaves the bridge: not in the stored history, dead letters, nor the logs', async () => {
    // Runs after the others: everything they stored and logged is searched.
    const { readdir, readFile } = await import('node:fs/promises');
    const needles = [PATRON.id, PATRON.password, PATRON.name, PATRON.terminalPassword, PATRON.loginPassword, 'Wei-Reader'];
    const files = (await readdir(t.dataDir, { recursive: true })).map((f) => join(t.dataDir, String(f)));
    let searched = 0;
    for (const file of files) {
      const bytes = await readFile(file).catch(() => undefined);
      if (!bytes) continue;
      searched++;
      for (const needle of needles) expect(bytes.includes(Buffer.from(needle)), `${needle} in ${file}`).toBe(false);
    }
    expect(searched).toBeGreaterThan(0);
    const deadLetters = JSON.stringify((await t.get('/api/v1/dead-letters')).body);
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const needle of needles) {
      expect(logs).not.toContain(needle);
      expect(deadLetters).not.toContain(needle);
    }
  });
});
