import express from 'express';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorHandler } from '../../../dashboard/api-error.js';
import { AUDIT_DETAIL_MAX_CHARS, auditDetail } from '../../../dashboard/auth/audit-detail.js';
import type { Auth } from '../../../dashboard/auth/auth-service.js';
import { guard } from '../../../dashboard/auth/guard.js';
import type { Principal } from '../../../dashboard/auth/roles.js';
import { isNestedDeeperThan, jsonBody, MAX_JSON_DEPTH } from '../../../dashboard/json-body.js';
import type { ApiClient } from '../../support/platform-harness.js';
import { deepArray, deepObject, type HostilePlatform, probe, sendRaw, startHostilePlatform } from './http-hostile.js';

/**
 * One request used to end the whole process: a deeply nested body was refused (400), then the
 * audit writer serialised it in the response's `finish` hook, overflowed the stack outside any
 * handler, and broker, collector and dashboard went down together.
 */
describe('a deeply nested body', () => {
  let h: HostilePlatform;
  const unhandled: unknown[] = [];
  const record = (error: unknown) => unhandled.push(error);
  beforeAll(async () => {
    process.on('uncaughtException', record);
    h = await startHostilePlatform();
  });
  afterAll(async () => {
    process.off('uncaughtException', record);
    await h?.t.stop();
  });

  const cases: Array<[string, string, string, string]> = [
    ['admin', 'POST', '/api/v1/kiosks', deepArray(5_000)],
    ['admin', 'POST', '/api/v1/kiosks', deepObject(40_000)],
    ['lending', 'POST', '/api/v1/reservations', deepArray(5_000)],
    ['courier', 'POST', '/api/v1/reservations/R-1/delivered', deepObject(40_000)],
    ['operator', 'POST', '/api/v1/kiosks/HX-001/commands', deepArray(5_000)],
  ];

  test.each(cases)('as %s to %s %s: 400 JSON_TOO_DEEP, and the platform still answers', async (role, method, path, body) => {
    const client: ApiClient = h.clients.get(role as never)!;
    const res = await sendRaw(h.t.baseUrl, client, method, path, body);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      error: { code: 'JSON_TOO_DEEP', message: `request body nests deeper than ${MAX_JSON_DEPTH} levels` },
    });
    await probe(h);
    // The audit row is written after the answer: wait for it, then make sure nothing blew up.
    await expect
      .poll(async () => {
        const audit = await h.clients.get('admin')!.get<{ entries: { outcome: string }[] }>('/api/v1/audit?limit=1');
        return audit.body.entries.length;
      })
      .toBeGreaterThan(0);
    await probe(h);
    expect(unhandled).toEqual([]);
  });

  test('nesting within the bound is parsed, and its audit detail is a bounded summary', async () => {
    const admin = h.clients.get('admin')!;
    const body = `{"id":"HX-DEEP","name":${deepObject(MAX_JSON_DEPTH - 2)},"note":"${'x'.repeat(100_000)}"}`;
    const res = await sendRaw(h.t.baseUrl, admin, 'POST', '/api/v1/kiosks', body);
    expect(res.status).toBe(400);
    await expect
      .poll(async () => {
        const audit = await admin.get<{ entries: { action: string; detail: string }[] }>(
          '/api/v1/audit?action=kiosk.provision&limit=1',
        );
        return audit.body.entries[0]?.detail ?? '';
      })
      .toContain('HX-DEEP');
    const audit = await admin.get<{ entries: { detail: string }[] }>('/api/v1/audit?action=kiosk.provision&limit=1');
    expect(audit.body.entries[0]!.detail.length).toBeLessThanOrEqual(AUDIT_DETAIL_MAX_CHARS);
    expect(unhandled).toEqual([]);
  });
});

describe('the depth check', () => {
  test.each([
    ['[]', 1, false],
    ['[[]]', 1, true],
    ['{"a":{"b":[1]}}', 3, false],
    ['{"a":{"b":[1]}}', 2, true],
    ['"[[[[[[["', 1, false],
    ['{"a":"\\"[[[[["}', 1, false],
    ['{"a":"\\\\","b":[[1]]}', 2, true],
  ])('%s with at most %i levels: too deep %s', (text, maxDepth, isTooDeep) => {
    expect(isNestedDeeperThan(Buffer.from(text), maxDepth)).toBe(isTooDeep);
  });

  test('the audit detail of a 100,000-level structure is bounded and leaves secrets out', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const detail = auditDetail({ deep, password: 'secret-1', nested: { token: 't', keep: 'yes' } });
    expect(detail.length).toBeLessThanOrEqual(AUDIT_DETAIL_MAX_CHARS);
    expect(detail).not.toContain('secret-1');
    expect(detail).toContain('"keep":"yes"');
    expect(detail).not.toContain('"token"');
  });
});

describe('an audit writer that throws after the answer', () => {
  let server: Server;
  let port: number;
  const reported: unknown[] = [];
  const unhandled: unknown[] = [];
  const record = (error: unknown) => unhandled.push(error);
  const principal: Principal = { kind: 'token', name: 'lending-1', role: 'lending', tokenId: 't1' };

  beforeAll(async () => {
    process.on('uncaughtException', record);
    const auth = {
      now: () => 0,
      authenticate: () => principal,
      audit: {
        record: () => {
          throw new Error('the audit database is gone');
        },
        query: () => [],
      },
    } as unknown as Auth;
    const app = express();
    app.use(guard(auth, (error) => reported.push(error)));
    app.use(jsonBody());
    app.post('/api/v1/reservations', (_req, res) => void res.status(201).json({ ok: true }));
    app.use(errorHandler(() => undefined));
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    process.off('uncaughtException', record);
    server?.close();
  });

  test('is reported, and nothing is thrown out of the process', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/reservations`, {
      method: 'POST',
      headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(201);
    await expect.poll(() => reported.length).toBe(1);
    expect((reported[0] as Error).message).toBe('the audit database is gone');
    expect(unhandled).toEqual([]);
  });
});
