import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kioskRecordSchema } from '../../registry/kiosk.js';
import { mapTooltipOf } from '../../web/src/views/overview/map-tooltip.js';
import { type ApiClient, startTestPlatform, TEST_PASSWORDS, type TestPlatform } from '../support/platform-harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('accounts: the last-admin rule and one’s own password', () => {
  let t: TestPlatform;
  let admin: ApiClient;
  beforeAll(async () => {
    t = await startTestPlatform();
    admin = await t.api('admin');
  });
  afterAll(async () => t?.stop());

  test('two concurrent requests cannot leave no enabled admin: the check and the write are one transaction', async () => {
    await t.platform.auth.users.create({
      username: 'second-admin',
      displayName: 'Second admin',
      role: 'admin',
      password: 'second-admin-password',
      mustChangePassword: false,
    });
    // The first request hashes a new password (tens of milliseconds) before it writes; the second
    // disables the other admin meanwhile. Checked before the hashing, both passed.
    const [demoted, disabled] = await Promise.all([
      admin.patch<ErrorBody>('/api/v1/users/second-admin', { role: 'operator', password: 'a-temporary-password-1' }),
      admin.patch<ErrorBody>('/api/v1/users/admin', { disabled: true }),
    ]);
    const statuses = [demoted.status, disabled.status].sort();
    expect(statuses).toEqual([200, 409]);
    expect([demoted, disabled].find((r) => r.status === 409)!.body.error.code).toBe('LAST_ADMIN');
    const admins = (await t.platform.auth.users.list()).filter((u) => u.role === 'admin' && !u.disabled);
    expect(admins).toHaveLength(1);
  });

  test('an admin cannot reset their own password through PATCH /users/:name: the own-password route asks for the current one', async () => {
    const chen = await t.user('chen-admin', 'admin');
    const res = await chen.patch<ErrorBody>('/api/v1/users/chen-admin', { password: 'taken-over-password-1' });
    expect([res.status, res.body.error.code]).toEqual([403, 'OWN_PASSWORD']);
    expect(res.body.error.message).toContain('POST /api/v1/auth/password');
    // The password is unchanged: the old one still signs in.
    await expect(t.login('chen-admin', 'chen-admin-password-1')).resolves.toBeDefined();
    // Another admin's reset of it is still allowed (a temporary password).
    expect((await chen.patch('/api/v1/users/operator', { password: 'temporary-password-9' })).status).toBe(200);
    await expect(t.login('operator', TEST_PASSWORDS.operator)).rejects.toThrow(/401/);
  });
});

describe('the data directory', () => {
  let t: TestPlatform;
  let parent: string;
  let dataDir: string;
  beforeAll(async () => {
    // A directory that does not exist yet, with a simulated machine, so every kind of file is made.
    parent = await mkdtemp(join(tmpdir(), 'kiosk-fleet-modes-'));
    dataDir = join(parent, 'data');
    t = await startTestPlatform({ SIM_KIOSKS: '1', DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await t?.stop();
    await rm(parent, { recursive: true, force: true });
  });

  /** Every directory and file under `dir`, with its permission bits. */
  async function walk(dir: string): Promise<Array<{ path: string; mode: number; isDir: boolean }>> {
    const found: Array<{ path: string; mode: number; isDir: boolean }> = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const { mode } = await stat(path);
      found.push({ path, mode: mode & 0o777, isDir: entry.isDirectory() });
      if (entry.isDirectory()) found.push(...(await walk(path)));
    }
    return found;
  }

  test('is created 0700, and every file the platform writes there (databases, their WAL and shm, secrets) is 0600', async () => {
    const machine = await t.connectKiosk('DD-1', await t.provision('DD-1'));
    await machine.publishAsync('kiosks/DD-1/events', JSON.stringify({ id: 'dd-1', ts: new Date().toISOString(), type: 'loan' }), {
      qos: 1,
    });
    await expect.poll(async () => (await t.platform.store.readEvents({ kioskId: 'DD-1' })).length).toBe(1);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const entries = await walk(dataDir);
    expect(entries.map((e) => e.path.slice(dataDir.length + 1))).toEqual(
      expect.arrayContaining([
        'users.sqlite',
        'users.sqlite-wal',
        'events.sqlite',
        'events.sqlite-wal',
        'registry.sqlite',
        'secrets.json',
      ]),
    );
    expect(entries.filter((e) => (e.mode & 0o077) !== 0).map((e) => `${e.path} ${e.mode.toString(8)}`)).toEqual([]);
  });
});

describe('kiosk names', () => {
  const machine = { id: 'N-1', name: 'Library', district: 'Test', lat: 39.9, lon: 116.4 };

  test.each([
    ['a NUL', 'Lib\u0000rary'],
    ['an escape sequence', '\u001b[31mLibrary'],
    ['a line break', 'Lib\nrary'],
    ['a right-to-left override', 'Library \u202egnp.exe'],
    ['a directional isolate', '\u2066Library\u2069'],
    ['a C1 control', 'Library\u0085'],
  ])('a name with %s is refused', (_what, name) => {
    const parsed = kioskRecordSchema.safeParse({ ...machine, name });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toBe('must not contain control characters or bidirectional overrides');
    expect(kioskRecordSchema.safeParse({ ...machine, district: name }).success).toBe(false);
  });

  test('an address may span lines; a name may not', () => {
    expect(kioskRecordSchema.parse({ ...machine, address: '望京街\n二号' }).address).toBe('望京街\n二号');
    expect(kioskRecordSchema.safeParse({ ...machine, address: '望京街\u202e二号' }).success).toBe(false);
  });

  test('names in Chinese, with accents, Arabic or emoji are kept as written', () => {
    for (const name of ['朝阳区图书馆 24小时自助', 'Bibliothèque', 'مكتبة', 'Library 📚']) {
      expect(kioskRecordSchema.parse({ ...machine, name }).name).toBe(name);
    }
  });

  test('the map tooltip shows a name as text, never as markup', () => {
    expect(mapTooltipOf('N-1', '<img src=x onerror="alert(1)">&', 'Out of service: <b>')).toBe(
      '<strong>N-1</strong><br/>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;<br/>Out of service: &lt;b&gt;',
    );
  });
});
