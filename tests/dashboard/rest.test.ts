import mqtt from 'mqtt';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('REST API v1', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => t?.stop());

  /** A POST as the admin (signed in, with the CSRF token), as another client, or with no credentials (null). */
  const post = async (path: string, body: unknown, as?: ApiClient | null) => {
    const client = as === undefined ? await t.api('admin') : as;
    return fetch(`${t.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(client ? { ...client.headers, 'x-csrf-token': client.csrfToken } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  };
  const machine = (id: string) => ({ id, name: `Machine ${id}`, district: '望京', lat: 39.99, lon: 116.47 });

  test('provisioning answers the MQTT credentials once, and they connect', async () => {
    const res = await post('/api/v1/kiosks', { ...machine('R-001'), model: 'ZZTS-II', installedOn: '2018-05-01' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      kiosk: { lifecycle: string };
      mqtt: { clientId: string; username: string; password: string; topics: Record<string, string> };
    };
    expect(body.kiosk.lifecycle).toBe('active');
    expect(body.mqtt).toMatchObject({
      clientId: 'R-001',
      username: 'R-001',
      topics: { events: 'kiosks/R-001/events', acks: 'kiosks/R-001/acks' },
    });
    const client = await mqtt.connectAsync(t.mqttUrl, {
      clientId: 'R-001',
      username: 'R-001',
      password: body.mqtt.password,
      reconnectPeriod: 0,
    });
    await client.endAsync();
    const listed = await t.get<{ kiosks: { id: string; district: string; connection: string }[] }>('/api/v1/kiosks');
    expect(listed.body.kiosks.find((k) => k.id === 'R-001')).toMatchObject({ district: '望京' });
  });

  test.each([
    ['no credentials', () => null, 401, 'UNAUTHENTICATED'],
    [
      'a bearer token that is not valid',
      () => ({ headers: { authorization: `Bearer ${'x'.repeat(43)}` }, csrfToken: '' }),
      401,
      'UNAUTHENTICATED',
    ],
    ['an operator', () => t.api('operator'), 403, 'FORBIDDEN'],
  ])('provisioning with %s is refused (%i %s)', async (_name, as, status, code) => {
    const res = await post('/api/v1/kiosks', machine('R-002'), (await as()) as ApiClient | null);
    expect(res.status).toBe(status);
    expect(((await res.json()) as ErrorBody).error.code).toBe(code);
    expect((await t.get('/api/v1/kiosks/R-002')).status).toBe(404);
  });

  test.each([
    ['a kiosk id with a slash', { ...machine('R/3') }, 'id'],
    ['a latitude of 200', { ...machine('R-003'), lat: 200 }, 'lat'],
    ['a missing name', { id: 'R-003', district: 'D', lat: 1, lon: 1 }, 'name'],
    ['an unknown field', { ...machine('R-003'), readerCount: 1 }, 'readerCount'],
    ['a bad lifecycle', { ...machine('R-003'), lifecycle: 'sleeping' }, 'lifecycle'],
  ])('a body with %s is a 400 naming the field', async (_name, body, field) => {
    const res = await post('/api/v1/kiosks', body);
    expect(res.status).toBe(400);
    const error = ((await res.json()) as ErrorBody).error;
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain(field);
  });

  test('a body that is not JSON is a 400 INVALID_JSON', async () => {
    const res = await post('/api/v1/kiosks', '{"id": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe('INVALID_JSON');
  });

  test('provisioning an existing id is a 409 and keeps the old token', async () => {
    const first = (await (await post('/api/v1/kiosks', machine('R-004'))).json()) as { mqtt: { password: string } };
    const again = await post('/api/v1/kiosks', machine('R-004'));
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error.code).toBe('KIOSK_EXISTS');
    const client = await mqtt.connectAsync(t.mqttUrl, {
      clientId: 'R-004',
      username: 'R-004',
      password: first.mqtt.password,
      reconnectPeriod: 0,
    });
    await client.endAsync();
  });

  test('rotating a token refuses the old one and accepts the new one', async () => {
    const first = (await (await post('/api/v1/kiosks', machine('R-005'))).json()) as { mqtt: { password: string } };
    const rotated = (await (await post('/api/v1/kiosks/R-005/token', {})).json()) as { mqtt: { password: string } };
    await expect(
      mqtt.connectAsync(t.mqttUrl, { clientId: 'R-005', username: 'R-005', password: first.mqtt.password, reconnectPeriod: 0 }),
    ).rejects.toThrow();
    const client = await mqtt.connectAsync(t.mqttUrl, {
      clientId: 'R-005',
      username: 'R-005',
      password: rotated.mqtt.password,
      reconnectPeriod: 0,
    });
    await client.endAsync();
  });

  test.each([
    ['/api/v1/events?limit=0', 'limit'],
    ['/api/v1/events?limit=abc', 'limit'],
    ['/api/v1/events?from=yesterday', 'from'],
    ['/api/v1/events?type=LOAN', 'type'],
    ['/api/v1/events?colour=red', 'colour'],
    ['/api/v1/events?after=bm90LWEtY3Vyc29y', 'after'],
    ['/api/v1/kiosks?connection=sleeping', 'connection'],
    ['/api/v1/dead-letters?limit=5000', 'limit'],
  ])('%s is a 400 naming %s', async (path, field) => {
    const { status, body } = await t.get<ErrorBody>(path);
    expect(status).toBe(400);
    expect(body.error.message).toContain(field);
  });

  test('an unknown route is a JSON 404', async () => {
    const { status, body } = await t.get<ErrorBody>('/api/v1/nothing-here');
    expect(status).toBe(404);
    expect(body.error.code).toBe('NOT_FOUND');
  });

  test('the event history pages with next until every event was seen once', async () => {
    const token = await t.provision('R-PAGE');
    const client = await t.connectKiosk('R-PAGE', token);
    const ids = Array.from({ length: 25 }, (_, i) => `R-PAGE-e${String(i).padStart(2, '0')}`);
    const base = Date.now() - 60_000;
    const batch = ids.map((id, i) => ({ id, ts: new Date(base + i * 1000).toISOString(), type: i % 2 ? 'loan' : 'return' }));
    await client.publishAsync('kiosks/R-PAGE/events', JSON.stringify(batch), { qos: 1 });
    await expect
      .poll(async () => (await t.get<{ events: unknown[] }>('/api/v1/events?kiosk=R-PAGE&limit=100')).body.events.length)
      .toBe(25);
    const seen: string[] = [];
    let path = '/api/v1/events?kiosk=R-PAGE&limit=10&order=asc';
    for (let page = 0; page < 5; page++) {
      const { body } = await t.get<{ events: { id: string }[]; next: string | null }>(path);
      seen.push(...body.events.map((e) => e.id));
      if (!body.next) break;
      path = `/api/v1/events?kiosk=R-PAGE&limit=10&order=asc&after=${body.next}`;
    }
    expect(seen).toEqual(ids);
    const loans = await t.get<{ events: { type: string }[] }>('/api/v1/events?kiosk=R-PAGE&type=loan');
    expect(loans.body.events).toHaveLength(12);
    expect(new Set(loans.body.events.map((e) => e.type))).toEqual(new Set(['loan']));
  });

  test('health names each component with a state', async () => {
    const { status, body } = await t.get<{ status: string; components: Record<string, { state: string; detail: string }> }>(
      '/api/v1/health',
    );
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(Object.keys(body.components).sort()).toEqual(['broker', 'collector', 'spool', 'store']);
  });

  test('a socket.io connection from a page of another origin is refused', async () => {
    const socket = connectSocket(t.baseUrl, {
      transports: ['polling'],
      extraHeaders: { origin: 'https://evil.example' },
      reconnection: false,
    });
    try {
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error).toBeInstanceOf(Error);
      expect(socket.connected).toBe(false);
    } finally {
      socket.close();
    }
  });
});
