import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadOrCreateSecrets } from '../../config/secrets.js';

describe('platform secrets', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('on first start they are created, in a file readable by its owner alone', async () => {
    const dataDir = join(dir, 'data', 'nested');
    const secrets = loadOrCreateSecrets(dataDir);
    expect(secrets.isNew).toBe(true);
    expect(secrets.serviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const file = join(dataDir, 'secrets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ serviceToken: secrets.serviceToken });
  });

  test('on later starts the same secrets are read back, not renewed', () => {
    const first = loadOrCreateSecrets(dir);
    const second = loadOrCreateSecrets(dir);
    const third = loadOrCreateSecrets(dir);
    expect(second).toEqual({ serviceToken: first.serviceToken, isNew: false });
    expect(third).toEqual(second);
  });

  test('the admin token of files from before accounts existed is read past and dropped', async () => {
    await writeFile(join(dir, 'secrets.json'), JSON.stringify({ serviceToken: 'x'.repeat(43), adminToken: 'y'.repeat(43) }));
    expect(loadOrCreateSecrets(dir)).toEqual({ serviceToken: 'x'.repeat(43), isNew: false });
  });

  test.each<{ what: string; content: string; code: string }>([
    { what: 'a truncated file', content: '{"serviceToken": "abc', code: 'SECRETS_UNREADABLE' },
    { what: 'an empty file', content: '', code: 'SECRETS_UNREADABLE' },
    { what: 'a file with a missing token', content: JSON.stringify({ adminToken: 'x'.repeat(43) }), code: 'SECRETS_INVALID' },
    {
      what: 'a file with a short token',
      content: JSON.stringify({ serviceToken: 'short' }),
      code: 'SECRETS_INVALID',
    },
    {
      what: 'a file with an unknown key',
      content: JSON.stringify({ serviceToken: 'x'.repeat(43), adminToken: 'y'.repeat(43), extra: 1 }),
      code: 'SECRETS_INVALID',
    },
    { what: 'a JSON array', content: '[]', code: 'SECRETS_INVALID' },
  ])('$what stops start-up with $code and is left as it was', async ({ content, code }) => {
    const file = join(dir, 'secrets.json');
    await writeFile(file, content, { mode: 0o600 });
    let thrown: unknown;
    try {
      loadOrCreateSecrets(dir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as { code?: string }).code).toBe(code);
    expect((thrown as Error).message).toContain(file);
    expect(await readFile(file, 'utf8')).toBe(content);
  });
});
