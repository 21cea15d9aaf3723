import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReservationState } from '../../collector/domain/reservations.js';
import { makeSelfSignedCertificate, type TestCertificate } from '../broker/tls-files.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

const ALL_STATES: ReservationState[] = ['open', 'at_risk', 'breached', 'delivered_on_time', 'delivered_late', 'cancelled'];

/** A certificate for a public host name only, as a real deployment has: it does not name 127.0.0.1. */
function makePublicNameCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'public-cert.pem');
  const keyFile = join(dir, 'public-key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=kiosks.example.org', '-addext', 'subjectAltName=DNS:kiosks.example.org',
      '-keyout', keyFile, '-out', certFile,
    ],
    { stdio: 'pipe' },
  ); // prettier-ignore
  return { certFile, keyFile };
}

/** `npm start` with HTTPS=on: the simulated lending platform must reach the dashboard over https. */
describe.each([
  ['a self-signed certificate for 127.0.0.1', (cert: TestCertificate) => cert],
  ['a certificate for a public host name only', (cert: TestCertificate) => makePublicNameCertificate(cert.dir)],
])('the simulated lending platform with HTTPS=on and %s', (_name, files) => {
  let cert: TestCertificate;
  let t: TestPlatform;
  beforeAll(async () => {
    cert = makeSelfSignedCertificate();
    const { certFile, keyFile } = files(cert);
    t = await startTestPlatform({
      HTTPS: 'on',
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
      SIM_KIOSKS: '5',
      // Ten simulated days at once: 5 machines reserve ~15 times, so the first call comes in seconds.
      SIM_START: new Date(Date.now() - 10 * 86_400_000).toISOString(),
      SIM_SPEED: '1000000',
    });
  });
  afterAll(async () => {
    await t?.stop();
    if (cert) rmSync(cert.dir, { recursive: true, force: true });
  });

  test('creates reservations through the HTTPS API', async () => {
    const reservations = t.platform.promises.reservations;
    await expect.poll(() => reservations.list({ states: ALL_STATES }).length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(reservations.list({ states: ALL_STATES })[0]?.reservationId).toMatch(/^WEB-\d{8}-[0-9a-f]{8}$/);
  });
});
