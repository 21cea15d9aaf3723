import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTopics } from '../../protocol/topics.js';
import { startSip2Bridge, type RunningSip2Bridge } from '../../sip2/bridge/bridge.js';
import { parseMapping } from '../../sip2/bridge/mapping.js';
import { encodeSip2 } from '../../sip2/codec/encode.js';
import { createSip2Framer } from '../../sip2/codec/framer.js';
import { createAcsResponder } from '../../sip2/sim/acs-responder.js';
import { makeSelfSignedCertificate, type TestCertificate } from '../broker/tls-files.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { DEFAULT_BEHAVIOUR, sip2Date } from './sip2-harness.js';

describe('the SIP2 bridge with TLS on both sides', () => {
  let t: TestPlatform;
  let cert: TestCertificate;
  let bridge: RunningSip2Bridge | undefined;
  const acsReceived: Buffer[] = [];
  const acsSent: Buffer[] = [];
  let acs: ReturnType<typeof createTlsServer>;
  let machine: TLSSocket | undefined;

  beforeAll(async () => {
    t = await startTestPlatform();
    cert = makeSelfSignedCertificate();
    acs = createTlsServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (socket) => {
      const framer = createSip2Framer();
      const respond = createAcsResponder({ ...DEFAULT_BEHAVIOUR });
      socket.on('data', (chunk: Buffer) => {
        acsReceived.push(chunk);
        for (const frame of framer.push(chunk)) {
          if (frame.kind !== 'message') continue;
          const answer = Buffer.from(`${respond(frame.line)}\r\n`, 'latin1');
          acsSent.push(answer);
          socket.write(answer);
        }
      });
      socket.on('error', () => {});
    });
    acs.listen(0, '127.0.0.1');
    await once(acs, 'listening');
  });
  afterAll(async () => {
    machine?.destroy();
    await bridge?.stop();
    await new Promise<void>((resolve) => acs.close(() => resolve()));
    await t?.stop();
    rmSync(cert.dir, { recursive: true, force: true });
  });

  test('a loan made over TLS from the machine to the library system is observed; bytes pass unchanged', async () => {
    const pem = readFileSync(cert.certFile);
    bridge = await startSip2Bridge({
      listen: { host: '127.0.0.1', port: 0, tls: { cert: pem, key: readFileSync(cert.keyFile) } },
      upstream: { host: '127.0.0.1', port: (acs.address() as AddressInfo).port, tls: { ca: pem, servername: 'localhost' } },
      mapping: parseMapping(
        `kiosk_id,token,login_user_id,location_code,address\nS2-TLS,${await t.provision('S2-TLS')},sc-tls,,\n`,
      ),
      brokerUrl: t.mqttUrl,
      topics: createTopics('kiosks'),
      dataDir: join(cert.dir, 'bridge'),
      timeZone: 'Asia/Shanghai',
      offlineAfterMs: 60_000,
      logger: pino({ level: 'silent' }),
      agent: { flushIntervalMs: 100 },
    });
    machine = connectTls({ host: '127.0.0.1', port: bridge.port, ca: pem, servername: 'localhost' });
    await once(machine, 'secureConnect');
    const received: Buffer[] = [];
    machine.on('data', (chunk: Buffer) => received.push(chunk));
    const sent = Buffer.from(
      `${encodeSip2(
        '93',
        ['0', '0'],
        [
          ['CN', 'sc-tls'],
          ['CO', 'pw'],
        ],
      )}\r${encodeSip2(
        '11',
        ['N', 'N', sip2Date('2026-05-01T10:00:00'), ' '.repeat(18)],
        [
          ['AO', 'CYLIB'],
          ['AA', 'P1'],
          ['AB', 'B-TLS-1'],
          ['AC', ''],
        ],
        4,
      )}\r`,
      'latin1',
    );
    machine.write(sent);
    await expect.poll(() => Buffer.concat(received).toString('latin1').split('\r\n').length, { timeout: 10_000 }).toBe(3);
    expect(Buffer.concat(acsReceived).equals(sent)).toBe(true);
    expect(Buffer.concat(received).equals(Buffer.concat(acsSent))).toBe(true);
    await expect
      .poll(
        async () => (await t.get<{ events: Array<{ itemId?: string }> }>('/api/v1/events?kiosk=S2-TLS&type=loan')).body.events,
        {
          timeout: 10_000,
        },
      )
      .toEqual([expect.objectContaining({ itemId: 'B-TLS-1' })]);
  });
});
