import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

const run = promisify(execFile);
const hasMosquittoClients = await run('mosquitto_pub', ['--help']).then(
  () => true,
  (error: { code?: string }) => error.code !== 'ENOENT',
);

// CI installs Debian's mosquitto-clients (.ci/run); elsewhere the test runs when they are present.
describe.skipIf(!hasMosquittoClients && !process.env.CI)('a client nobody here wrote: Debian mosquitto_pub', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => t?.stop());

  test('publishing a valid event with a provisioned token stores it', async () => {
    const token = await t.provision('MQ-001');
    const port = new URL(t.mqttUrl).port;
    const event = { id: 'MQ-001-boot1-1', ts: new Date().toISOString(), type: 'return', itemId: 'B000123' };
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-i',
      'MQ-001',
      '-u',
      'MQ-001',
      '-P',
      token,
      '-q',
      '1',
      '-t',
      'kiosks/MQ-001/events',
      '-m',
      JSON.stringify(event),
    ]);
    await expect
      .poll(async () => (await t.get<{ events: { id: string }[] }>('/api/v1/events?kiosk=MQ-001')).body.events.map((e) => e.id))
      .toEqual([event.id]);
  });

  test('mosquitto_pub with a wrong token is refused and nothing is stored', async () => {
    await t.provision('MQ-002');
    const port = new URL(t.mqttUrl).port;
    const event = { id: 'MQ-002-boot1-1', ts: new Date().toISOString(), type: 'loan' };
    await expect(
      run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-i',
        'MQ-002',
        '-u',
        'MQ-002',
        '-P',
        'wrong',
        '-q',
        '1',
        '-t',
        'kiosks/MQ-002/events',
        '-m',
        JSON.stringify(event),
      ]),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/not authori[sz]ed|bad user name or password/i) });
    expect((await t.get<{ events: unknown[] }>('/api/v1/events?kiosk=MQ-002')).body.events).toEqual([]);
  });
});
