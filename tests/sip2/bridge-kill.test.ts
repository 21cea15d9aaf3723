import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createTopics } from '../../protocol/topics.js';
import { startSip2Bridge, type RunningSip2Bridge } from '../../sip2/bridge/bridge.js';
import { loadMapping } from '../../sip2/bridge/mapping.js';
import { encodeSip2 } from '../../sip2/codec/encode.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { connectSc, sip2Date, startStubAcs, writeMapping, type StubAcs } from './sip2-harness.js';

const POLL = { timeout: 20_000, interval: 50 };
const PATRON_ID = 'P-KILLTEST-424242';
const MAIN = resolve(import.meta.dirname, '../../cli/main.ts');

/** `kiosk-fleet sip2-bridge` as a real child process in its own process group; resolves with its SIP2 port. */
async function spawnBridge(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; output: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'sip2-bridge'], {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('exit', (code) => reject(new Error(`bridge exited with ${code}: ${output.join('')}`)));
    lines.on('line', (line) => {
      output.push(line);
      const record = JSON.parse(line) as { msg?: string; sip2?: number };
      if (record.msg === 'SIP2 bridge running' && record.sip2) resolvePort(record.sip2);
    });
  });
  return { child, port, output };
}

describe('the SIP2 bridge killed mid-transaction', () => {
  let t: TestPlatform;
  let dir: string;
  let acs: StubAcs;
  let child: ChildProcess | undefined;
  let restarted: RunningSip2Bridge | undefined;

  beforeAll(async () => {
    t = await startTestPlatform();
    dir = await mkdtemp(join(tmpdir(), 'sip2-kill-'));
    acs = await startStubAcs();
  });
  afterEach(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGKILL');
      await once(child, 'exit');
    }
    await restarted?.stop();
  });
  afterAll(async () => {
    await acs?.close();
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('kill -9 after the machine got its checkout answer loses no loan: the restarted bridge delivers it', async () => {
    const mapFile = writeMapping(dir, [`S2-101,${await t.provision('S2-101')},sc-kill,,`]);
    const dataDir = join(dir, 'bridge-data');
    // The platform is out of reach for the first bridge: the loan can only be in its outbox.
    const spawned = await spawnBridge({
      HOST: '127.0.0.1',
      SIP2_LISTEN_PORT: '0',
      SIP2_UPSTREAM: `127.0.0.1:${acs.port}`,
      SIP2_MAP: mapFile,
      MQTT_URL: 'mqtt://127.0.0.1:1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    });
    child = spawned.child;
    const machine = await connectSc(spawned.port);
    const checkout = encodeSip2(
      '11',
      ['N', 'N', sip2Date('2026-04-01T09:15:00'), ' '.repeat(18)],
      [
        ['AO', 'CYLIB'],
        ['AA', PATRON_ID],
        ['AB', 'B-KILL-1'],
        ['AC', 'terminal-pw'],
      ],
      0,
    );
    machine.send(
      `${encodeSip2(
        '93',
        ['0', '0'],
        [
          ['CN', 'sc-kill'],
          ['CO', 'login-pw'],
        ],
        9,
      )}\r${checkout}\r`,
    );
    await expect.poll(() => machine.lines().length, POLL).toBe(2);
    expect(machine.lines()[1]).toMatch(/^121/); // the reader saw the loan complete
    process.kill(-child.pid!, 'SIGKILL');
    await once(child, 'exit');
    machine.close();
    expect(acs.received().equals(machine.sent())).toBe(true);
    expect(machine.received().equals(acs.sent())).toBe(true);

    restarted = await startSip2Bridge({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: acs.port },
      mapping: loadMapping(mapFile),
      brokerUrl: t.mqttUrl,
      topics: createTopics('kiosks'),
      dataDir,
      timeZone: 'Asia/Shanghai',
      offlineAfterMs: 60_000,
      logger: pino({ level: 'silent' }),
      agent: { reconnectPeriodMs: 100, flushIntervalMs: 100 },
    });
    await expect
      .poll(
        async () =>
          (await t.get<{ events: Array<{ itemId?: string; ts: string }> }>('/api/v1/events?kiosk=S2-101&type=loan')).body.events,
        POLL,
      )
      .toEqual([expect.objectContaining({ itemId: 'B-KILL-1', ts: '2026-04-01T09:15:00.000+08:00' })]);
    expect(spawned.output.join('\n')).not.toContain(PATRON_ID);
  });
});
