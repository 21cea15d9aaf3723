import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir } from '../config/private-files.js';
import { z } from 'zod';
import type { KioskRecord } from '../registry/kiosk.js';
import type { KioskRegistry } from '../registry/kiosk-registry.js';

export type CredentialsFile = Record<string, string>;

/**
 * The simulated machines keep their MQTT tokens in a file of their own, as real machines keep
 * theirs in their configuration: the registry stores only hashes. Machines missing from the
 * registry are provisioned; a registered machine whose token was lost gets a new one.
 */
export async function ensureSimulatedCredentials(
  registry: KioskRegistry,
  kiosks: readonly KioskRecord[],
  file: string,
): Promise<CredentialsFile> {
  const tokens = readSimulatedCredentials(file);
  for (const { kiosk, token } of await registry.provisionMissing(kiosks)) tokens[kiosk.id] = token;
  for (const kiosk of kiosks) {
    const token = tokens[kiosk.id];
    if (token === undefined || !registry.verifyToken(kiosk.id, token)) tokens[kiosk.id] = await registry.rotateToken(kiosk.id);
  }
  ensurePrivateDir(dirname(file));
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  return tokens;
}

export function readSimulatedCredentials(file: string): CredentialsFile {
  if (!existsSync(file)) return {};
  try {
    return credentialsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (cause) {
    throw Object.assign(
      new Error(`${file} is not a valid credentials file (delete it to issue new tokens): ${(cause as Error).message}`, {
        cause,
      }),
      {
        code: 'SIM_CREDENTIALS_INVALID',
      },
    );
  }
}

const credentialsSchema = z.record(z.string(), z.string());
