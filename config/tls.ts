import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** What each TLS setting must hold, by the PEM block it needs. */
const PEM_KINDS = {
  TLS_CERT_FILE: { label: /^CERTIFICATE$/, what: 'a PEM certificate (-----BEGIN CERTIFICATE-----)' },
  TLS_KEY_FILE: { label: /^(RSA |EC |ENCRYPTED )?PRIVATE KEY$/, what: 'a PEM private key (-----BEGIN PRIVATE KEY-----)' },
  TLS_CA_FILE: { label: /^CERTIFICATE$/, what: 'PEM CA certificates (-----BEGIN CERTIFICATE-----)' },
} as const;
export type TlsFileSetting = keyof typeof PEM_KINDS;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** A TLS file setting that cannot be used; the message is one line, without the setting's name. */
export class TlsSettingError extends Error {
  readonly code = 'TLS_INVALID';
  constructor(
    readonly setting: TlsFileSetting,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a certificate or key file named by a setting and checks it holds only the right PEM blocks. */
function readPemFile(setting: TlsFileSetting, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new TlsSettingError(setting, `cannot read ${file} (${why})`);
  }
  const kind = PEM_KINDS[setting];
  const labels = [...text.matchAll(PEM_BLOCK)].map((match) => match[1] ?? '');
  if (labels.length === 0 || !labels.every((label) => kind.label.test(label)))
    throw new TlsSettingError(setting, `${file} is not ${kind.what}`);
  return text;
}

export interface TlsFiles {
  TLS_CERT_FILE?: string | undefined;
  TLS_KEY_FILE?: string | undefined;
  TLS_CA_FILE?: string | undefined;
}

/** What a Node TLS server needs: the certificate followed by its chain (TLS_CA_FILE), and the key. */
export interface TlsPem {
  cert: string;
  key: string;
}

/**
 * Reads and checks the TLS files together: each is readable PEM of the right kind, and the key
 * belongs to the certificate. Null when no certificate is configured; throws a TlsSettingError
 * naming the setting at fault.
 */
export function loadTlsPem(files: TlsFiles): TlsPem | null {
  const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, TLS_CA_FILE: caFile } = files;
  if (certFile === undefined && keyFile === undefined) {
    if (caFile !== undefined) throw new TlsSettingError('TLS_CA_FILE', 'needs TLS_CERT_FILE and TLS_KEY_FILE');
    return null;
  }
  if (certFile === undefined) throw new TlsSettingError('TLS_CERT_FILE', 'needed with TLS_KEY_FILE');
  if (keyFile === undefined) throw new TlsSettingError('TLS_KEY_FILE', 'needed with TLS_CERT_FILE');
  const cert = readPemFile('TLS_CERT_FILE', certFile);
  const key = readPemFile('TLS_KEY_FILE', keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new TlsSettingError(
      'TLS_KEY_FILE',
      `${keyFile} does not fit the certificate in ${certFile} (${(error as Error).message})`,
    );
  }
  // The chain is sent after the certificate, so clients can build the path to the root they trust.
  const chain = caFile === undefined ? '' : readPemFile('TLS_CA_FILE', caFile);
  return { cert: chain === '' ? cert : `${cert.trimEnd()}\n${chain}`, key };
}
