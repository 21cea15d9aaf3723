import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KioskRecord } from '../registry/kiosk.js';
import type { KioskRegistry } from '../registry/kiosk-registry.js';

export type CredentialsFile = Record<string, string>;

/**
 * The simulated machines keep their MQTT tokens in a file of their own, as real machines keep
 * theirs in their configuration: the registry stores only hashes. Machines missing from the
 * registry are provisioned; a registered machine whose token was lost gets a new one.
 */
export function ensureSimulatedCredentials(registry: KioskRegistry, kiosks: readonly KioskRecord[], file: string): CredentialsFile {
  const tokens: CredentialsFile = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CredentialsFile) : {};
  for (const { kiosk, token } of registry.provisionMissing(kiosks)) tokens[kiosk.id] = token;
  for (const kiosk of kiosks) {
    const token = tokens[kiosk.id];
    if (token === undefined || !registry.verifyToken(kiosk.id, token)) tokens[kiosk.id] = registry.rotateToken(kiosk.id);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  return tokens;
}

export function readSimulatedCredentials(file: string): CredentialsFile {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CredentialsFile) : {};
}
