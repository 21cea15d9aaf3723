import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  /** A second, unrelated key: does not fit the certificate. */
  otherKeyFile: string;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made by the `openssl` command line
 * (Node's crypto cannot issue X.509 certificates). Clients trust it by passing it as their CA.
 */
export function makeSelfSignedCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const otherKeyFile = join(dir, 'other-key.pem');
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'];
  openssl('req', '-x509', '-newkey', 'ec', ...ec, '-nodes', '-days', '1', ...subject, '-keyout', keyFile, '-out', certFile);
  openssl('genpkey', '-algorithm', 'EC', ...ec, '-out', otherKeyFile);
  return { dir, certFile, keyFile, otherKeyFile };
}
