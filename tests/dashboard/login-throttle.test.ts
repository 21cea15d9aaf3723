import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PlatformWebhookPayload } from '../../collector/notify/webhook.js';
import { startHttpReceiver } from '../notify/receivers.js';
import { startTestPlatform, TEST_PASSWORDS, type TestPlatform } from '../support/platform-harness.js';

/**
 * Sign-in throttling per (account, address) and per address: five wrong passwords for a name used
 * to lock that account for everyone, from everywhere, again and again.
 */

/** A sign-in sent from another loopback address (the dashboard listens on 127.0.0.1; Linux routes all of 127/8). */
function signInFrom(localAddress: string, baseUrl: string, username: string, password: string) {
  return new Promise<{ status: number; body: { error?: { code: string } } }>((resolve, reject) => {
    const req = request(
      `${baseUrl}/api/v1/auth/login`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify({ username, password }));
  });
}

type Notice = PlatformWebhookPayload['notices'][number];
type AuditEntries = {
  entries: {
    action: string;
    actor: string;
    target: string | null;
    outcome: string;
    detail: string | null;
    address: string | null;
  }[];
};

describe('sign-in throttling', () => {
  let dir: string;
  let t: TestPlatform;
  let ops: Awaited<ReturnType<typeof startHttpReceiver>>;
  const GUESSER = '127.0.0.2';
  const OWNER = '127.0.0.3';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-login-throttle-'));
    ops = await startHttpReceiver();
    const config = {
      channels: [{ name: 'ops', type: 'webhook', url: `${ops.url}/platform` }],
      rules: [{ channels: ['ops'], sources: ['platform'] }],
      groupWindowMs: 0,
      retry: { attempts: 1, initialDelayMs: 50, maxDelayMs: 100, timeoutMs: 2_000 },
      platform: { sampleIntervalMs: 50, debounceMs: 0, dropIntervalMs: 0 },
    };
    await writeFile(join(dir, 'notify.json'), JSON.stringify(config));
    t = await startTestPlatform({ NOTIFY_CONFIG: join(dir, 'notify.json') });
  });
  afterAll(async () => {
    await t?.stop();
    await ops?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('an address that never failed signs in as admin with the right password while another address is guessing it', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await signInFrom(GUESSER, t.baseUrl, 'admin', `wrong-${i}`)).status).toBe(401);
    }
    // The guesser is stopped, even with the right password…
    const stopped = await signInFrom(GUESSER, t.baseUrl, 'admin', TEST_PASSWORDS.admin);
    expect([stopped.status, stopped.body.error?.code]).toEqual([429, 'RATE_LIMITED']);
    // …and the owner, from an address that did not fail, is not.
    expect((await signInFrom(OWNER, t.baseUrl, 'admin', TEST_PASSWORDS.admin)).status).toBe(200);
    expect((await signInFrom(GUESSER, t.baseUrl, 'manager', TEST_PASSWORDS.manager)).status).toBe(200);
  });

  test('the owner is told: an audit row naming the account, and a platform notice to the channels', async () => {
    const audit = await (await t.api('admin')).get<AuditEntries>('/api/v1/audit?action=auth.guessing');
    expect(audit.body.entries).toEqual([
      expect.objectContaining({ actor: 'admin', target: 'admin', outcome: 'denied', address: GUESSER }),
    ]);
    expect(audit.body.entries[0]!.detail).toMatch(/^5 wrong passwords from 1 address/);
    await expect
      .poll(() =>
        ops.received
          .flatMap((r) => (r.body as PlatformWebhookPayload).notices)
          .find((n: Notice) => n.kind === 'opened' && 'component' in n && n.component === 'sign-in'),
      )
      .toMatchObject({ state: 'degraded', detail: expect.stringContaining('admin (5 wrong passwords from 1 address') });
  });

  test('one address trying many names is stopped after 20 failures, whatever the names', async () => {
    let status = 0;
    for (let i = 0; i < 25 && status !== 429; i++) {
      status = (await signInFrom('127.0.0.4', t.baseUrl, `guess-${i}`, 'wrong-password')).status;
    }
    expect(status).toBe(429);
    expect((await signInFrom('127.0.0.4', t.baseUrl, 'operator', TEST_PASSWORDS.operator)).status).toBe(429);
  });
});
