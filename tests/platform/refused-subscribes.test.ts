import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/**
 * A SUBSCRIBE may carry thousands of filters, each refused on its own. 65,535 refused filters in
 * three packets used to write 65,535 dead-letter rows and 26 MB of log in about a second.
 */
let t: TestPlatform;
let logLines = 0;

beforeAll(async () => {
  // Every line the platform logs at warn and above, counted (the default level logs refusals at warn).
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const byte of chunk) if (byte === 0x0a) logLines += 1;
      done();
    },
  });
  t = await startTestPlatform({}, { logger: pino({ level: 'warn' }, sink) });
});
afterAll(async () => t?.stop());

test('65,535 refused SUBSCRIBE filters add a handful of dead letters and log lines, and close the connection', async () => {
  const machine = await t.connectKiosk('SUB-1', await t.provision('SUB-1'));
  const before = { rows: await t.platform.store.countDeadLetters(), lines: logLines };
  const closed = new Promise<void>((resolve) => machine.once('close', () => resolve()));
  // Three packets of 21,845 short filters each (about 240 KB, under the 256 KiB packet limit),
  // none of which a machine may read.
  const subscriptions = [0, 1, 2].map((packet) =>
    machine.subscribeAsync(Array.from({ length: 21_845 }, (_, i) => `x/${packet}/${i}`)).then(
      () => 'answered',
      () => 'closed',
    ),
  );
  await closed;
  await Promise.all(subscriptions);

  const rejections = t.platform.broker!.stats().rejectionsByReason;
  expect(rejections.refusal_budget_exceeded).toBe(1);
  expect(rejections.subscribe_not_allowed).toBeGreaterThan(100);
  // The summary of what was not recorded one by one arrives as the connection ends.
  await expect
    .poll(async () => {
      const { body } = await t.get<{ deadLetters: { reason: string; detail: string }[] }>('/api/v1/dead-letters?limit=50');
      return body.deadLetters.some(
        (d) => d.reason === 'subscribe_not_allowed' && / more subscribe_not_allowed refusals/.test(d.detail),
      );
    })
    .toBe(true);
  const rows = (await t.platform.store.countDeadLetters()) - before.rows;
  const lines = logLines - before.lines;
  expect(rows).toBeLessThanOrEqual(20);
  expect(lines).toBeLessThanOrEqual(50);
  console.info(`refused SUBSCRIBEs: ${rejections.subscribe_not_allowed} counted, ${rows} dead letters, ${lines} log lines`);
});
