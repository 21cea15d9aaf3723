import { chmodSync, existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir } from './private-files.js';
import { join } from 'node:path';
import { z } from 'zod';
import { generateToken } from '../registry/tokens.js';

const secretsSchema = z
  .strictObject({
    /** Password of the platform's own MQTT clients (collector, dashboard) on the embedded broker. */
    serviceToken: z.string().min(32),
    /**
     * The REST API's admin token of files written before people had accounts: no longer accepted
     * anywhere (admins sign in; integrations get tokens of their own), tolerated and dropped.
     */
    adminToken: z.string().optional(),
  })
  .transform(({ serviceToken }) => ({ serviceToken }));
export type Secrets = z.infer<typeof secretsSchema> & { isNew: boolean };

/**
 * Reads `secrets.json` from the data directory, creating it (mode 0600) on first start. Every part
 * of the platform that shares the data directory shares these; an unreadable file stops start-up.
 */
export function loadOrCreateSecrets(dataDir: string): Secrets {
  const file = join(dataDir, 'secrets.json');
  if (!existsSync(file)) {
    ensurePrivateDir(dataDir);
    const secrets = { serviceToken: generateToken() };
    // Written whole under a temporary name, then linked into place: a crash leaves no half file,
    // and of two processes starting at once the second reads what the first wrote.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    try {
      linkSync(temporary, file);
      return { ...secrets, isNew: true };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
  }
  const secrets = readSecretsFile(dataDir);
  if (secrets === undefined) throw Object.assign(new Error(`${file} vanished while starting`), { code: 'SECRETS_UNREADABLE' });
  return secrets;
}

/** Reads `secrets.json` from the data directory; undefined when there is none. */
export function readSecretsFile(dataDir: string): Secrets | undefined {
  const file = join(dataDir, 'secrets.json');
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw Object.assign(new Error(`cannot read ${file}: ${(cause as Error).message}`, { cause }), { code: 'SECRETS_UNREADABLE' });
  }
  return parseSecrets(raw, `${file} is not a valid secrets file`);
}

/** Checks stored secrets; `refusal` begins the error's message. */
export function parseSecrets(raw: unknown, refusal: string): Secrets {
  const parsed = secretsSchema.safeParse(raw);
  if (!parsed.success) {
    throw Object.assign(new Error(`${refusal}: ${parsed.error.issues[0]?.message}`), {
      code: 'SECRETS_INVALID',
    });
  }
  return { ...parsed.data, isNew: false };
}
