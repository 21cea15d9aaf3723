import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { RunningBroker } from '../../broker/broker.js';
import { type Foundation, openFoundation, type RunningPlatform, startEmbeddedBroker, startPlatform } from '../../platform/index.js';
import { ConfigError, LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';
import { makeSelfSignedCertificate, type TestCertificate } from './tls-files.js';

let cert: TestCertificate;
let ca: string;
beforeAll(() => {
  cert = makeSelfSignedCertificate();
  ca = readFileSync(cert.certFile, 'utf8');
});
afterAll(() => rmSync(cert.dir, { recursive: true, force: true }));

/** The configuration error for these settings: its one line. */
function configErrorOf(settings: Record<string, string>): string {
  try {
    parseConfig({ ...LOOPBACK_SETTINGS, ...settings });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('TLS settings', () => {
  test('a TLS listener without certificate files is refused, naming the setting', () => {
    expect(configErrorOf({ MQTTS_PORT: '8883' })).toBe('invalid configuration: MQTTS_PORT: needs TLS_CERT_FILE and TLS_KEY_FILE');
    expect(configErrorOf({ HTTPS: 'on' })).toBe('invalid configuration: HTTPS: needs TLS_CERT_FILE and TLS_KEY_FILE');
  });

  test.each([
    [
      'a missing certificate file',
      () => ({ TLS_CERT_FILE: join(cert.dir, 'nope.pem') }),
      /^.*TLS_CERT_FILE: cannot read .*nope\.pem \(no such file\)$/,
    ],
    ['a directory as the certificate', () => ({ TLS_CERT_FILE: cert.dir }), /TLS_CERT_FILE: cannot read /],
    [
      'a key given as the certificate',
      () => ({ TLS_CERT_FILE: cert.keyFile }),
      /TLS_CERT_FILE: .*key\.pem is not a PEM certificate/,
    ],
    [
      'a certificate given as the key',
      () => ({ TLS_KEY_FILE: cert.certFile }),
      /TLS_KEY_FILE: .*cert\.pem is not a PEM private key/,
    ],
    [
      'a key of another certificate',
      () => ({ TLS_KEY_FILE: cert.otherKeyFile }),
      /TLS_KEY_FILE: .*other-key\.pem does not fit the certificate/,
    ],
    [
      'a CA file that is not PEM',
      () => ({ TLS_CA_FILE: join(import.meta.dirname, 'tls.test.ts') }),
      /TLS_CA_FILE: .* is not PEM CA certificates/,
    ],
  ])('%s stops the start with one line naming the setting', (_name, override, message) => {
    const line = configErrorOf({ MQTTS_PORT: '0', TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile, ...override() });
    expect(line).toMatch(message);
    expect(line).not.toContain('\n');
  });

  test('a key without a certificate is refused, naming the missing setting', () => {
    expect(configErrorOf({ TLS_KEY_FILE: cert.keyFile })).toBe('invalid configuration: TLS_CERT_FILE: needed with TLS_KEY_FILE');
  });

  test('readable certificate, key and CA files are accepted', () => {
    const config = parseConfig({
      ...LOOPBACK_SETTINGS,
      MQTTS_PORT: '0',
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
      TLS_CA_FILE: cert.certFile,
    });
    expect(config.MQTTS_PORT).toBe(0);
  });
});

describe('the broker over TLS', () => {
  let dataDir: string;
  let foundation: Foundation;
  let broker: RunningBroker;
  let token: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-tls-broker-'));
    const config = parseConfig({
      ...LOOPBACK_SETTINGS,
      DATA_DIR: dataDir,
      MQTTS_PORT: '0',
      MQTT_WSS_PORT: '0',
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
      CONNECT_TIMEOUT_MS: '1000',
    });
    foundation = await openFoundation(config, pino({ level: 'silent' }));
    token = (await foundation.registry.provision({ id: 'CY-010', name: 'Test', district: 'Test', lat: 39.9, lon: 116.4 })).token;
    broker = await startEmbeddedBroker(foundation);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  });
  afterAll(async () => {
    await broker.stop();
    foundation.registry.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await connectAsync(
      url,
      { clientId: 'CY-010', username: 'CY-010', password: token, ca, reconnectPeriod: 0, connectTimeout: 5_000, ...options },
      false,
    );
    clients.push(client);
    return client;
  }

  test.each([
    ['MQTTS', () => broker.tlsPort],
    ['WSS', () => broker.wssPort],
  ])('%s: a TLS handshake completes, authorised, and the certificate served is the configured one', async (_name, port) => {
    const socket = tls.connect({ host: '127.0.0.1', port: port()!, ca, servername: 'localhost' });
    try {
      await once(socket, 'secureConnect');
      expect(socket.authorized).toBe(true);
      expect(socket.getProtocol()).toMatch(/^TLSv1\.[23]$/);
      expect(socket.getPeerCertificate().fingerprint256).toBe(new X509Certificate(ca).fingerprint256);
    } finally {
      socket.destroy();
    }
  });

  test.each([
    ['mqtts', () => `mqtts://127.0.0.1:${broker.tlsPort}`],
    ['wss', () => `wss://127.0.0.1:${broker.wssPort}/mqtt`],
  ])('a machine connects over %s, trusting the certificate, and gets its PUBACK', async (_name, url) => {
    const client = await connect(url());
    let onPublish: ((packet: { topic: string; payload: Buffer | string }, from: { id: string } | null) => void) | undefined;
    const routed = new Promise<string>((resolve) => {
      onPublish = (packet, from) => {
        if (from?.id === 'CY-010') resolve(`${packet.topic} ${packet.payload.toString()}`);
      };
      broker.aedes.on('publish', onPublish);
    });
    try {
      // mqtt.js resolves a QoS 1 publish only when its PUBACK arrives.
      expect(await client.publishAsync('kiosks/CY-010/telemetry', '{"tls":true}', { qos: 1 })).toMatchObject({ qos: 1 });
      expect(await routed).toBe('kiosks/CY-010/telemetry {"tls":true}');
    } finally {
      broker.aedes.off('publish', onPublish!);
    }
  });

  test('a plain MQTT client on the TLS port is refused: no CONNACK, the connection closed', async () => {
    const socket = net.connect(broker.tlsPort!, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => {});
    await once(socket, 'connect');
    // CONNECT, MQTT 3.1.1, clean session, keepalive 60, client id "CY-010" [MQTT-3.1].
    const id = Buffer.from('CY-010');
    const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]);
    socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    await once(socket, 'close');
    const answer = Buffer.concat(received);
    expect(answer[0]).not.toBe(0x20); // CONNACK
    // Whatever came back was a TLS record (an alert), not MQTT.
    if (answer.length > 0) expect(answer[0]).toBe(0x15);
  });

  test('a client that does not trust the certificate fails the handshake', async () => {
    await expect(connect(`mqtts://127.0.0.1:${broker.tlsPort}`, { ca: undefined, rejectUnauthorized: true })).rejects.toThrow(
      /self.signed|certificate/i,
    );
  });

  test('a client silent before or after the TLS handshake is dropped after CONNECT_TIMEOUT_MS', async () => {
    const before = net.connect(broker.tlsPort!, '127.0.0.1');
    const after = tls.connect({ host: '127.0.0.1', port: broker.tlsPort!, ca, servername: 'localhost' });
    for (const socket of [before, after]) socket.on('error', () => {});
    await once(after, 'secureConnect');
    const t0 = performance.now();
    await Promise.all([once(before, 'close'), once(after, 'close')]);
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(broker.stats().rejectionsByReason.connect_timeout).toBe(1);
  });
});

describe('the dashboard over HTTPS', () => {
  let dataDir: string;
  let platform: RunningPlatform;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-tls-dashboard-'));
    mkdirSync(dataDir, { recursive: true });
    const config = parseConfig({
      ...LOOPBACK_SETTINGS,
      DATA_DIR: dataDir,
      HTTPS: 'on',
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
    });
    platform = await startPlatform(config, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('answers over HTTPS to a client trusting the certificate, with the configured certificate', async () => {
    const response = await new Promise<{ status: number; isAuthorized: boolean; fingerprint: string; body: string }>(
      (resolve, reject) => {
        https
          .get(
            { host: '127.0.0.1', port: platform.dashboard.port, path: '/api/v1/health/live', ca, servername: 'localhost' },
            (res) => {
              const socket = res.socket as tls.TLSSocket;
              const isAuthorized = socket.authorized;
              const fingerprint = socket.getPeerCertificate().fingerprint256;
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, isAuthorized, fingerprint, body }));
            },
          )
          .on('error', reject);
      },
    );
    expect(response).toEqual({
      status: 200,
      isAuthorized: true,
      fingerprint: new X509Certificate(ca).fingerprint256,
      body: '{"status":"ok"}',
    });
  });

  test('plain HTTP on the same port gets no HTTP answer at all', async () => {
    const answer = await fetch(`http://127.0.0.1:${platform.dashboard.port}/api/v1/health/live`).then(
      (res) => res.status,
      () => 'refused',
    );
    expect(answer).toBe('refused');
  });
});
