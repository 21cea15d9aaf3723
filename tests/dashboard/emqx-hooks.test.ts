import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiClient, type ApiClient, startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

const SECRET = 'emqx-hooks-test-secret-0123456789abcdef';
type Answer = { result: 'allow' | 'deny' | 'ignore'; is_superuser?: boolean };

describe("EMQX's HTTP authentication and authorization hooks (EMQX_HOOK_SECRET)", () => {
  let t: TestPlatform;
  let emqx: ApiClient;
  let token: string;

  beforeAll(async () => {
    t = await startTestPlatform({ EMQX_HOOK_SECRET: SECRET });
    emqx = apiClient(t.baseUrl, { authorization: `Bearer ${SECRET}` });
    token = await t.provision('EMQX-01');
    await t.provision('EMQX-02');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const authenticate = (body: Record<string, string>) => emqx.post<Answer>('/api/v1/emqx/authenticate', body);
  const authorize = (body: Record<string, unknown>) => emqx.post<Answer>('/api/v1/emqx/authorize', body);

  test('a registered machine with its token, connecting as itself, is allowed and never a superuser', async () => {
    const res = await authenticate({ clientid: 'EMQX-01', username: 'EMQX-01', password: token, peerhost: '10.1.2.3' });
    expect([res.status, res.body]).toEqual([200, { result: 'allow', is_superuser: false }]);
  });

  test.each([
    ['a wrong token', { clientid: 'EMQX-01', username: 'EMQX-01', password: 'wrong' }],
    ["another machine's token", { clientid: 'EMQX-02', username: 'EMQX-02', password: 'token-of-01' }],
    ['a client id that is not the machine id', { clientid: 'someone-else', username: 'EMQX-01', password: 'token-of-01' }],
  ])('a machine with %s is denied', async (_name, body) => {
    const res = await authenticate({ ...body, password: body.password === 'token-of-01' ? token : body.password });
    expect([res.status, res.body.result]).toEqual([200, 'deny']);
  });

  test("a user name that is no registered machine (EMQX's own users, the collector) is left to the next authenticator", async () => {
    for (const username of ['collector', 'UNKNOWN-9'])
      expect((await authenticate({ clientid: username, username, password: 'x' })).body).toEqual({ result: 'ignore' });
  });

  test.each([
    ['publish its own events', { topic: 'kiosks/EMQX-01/events', action: 'publish' }, 'allow'],
    [
      'retain its own status (EMQX writes the flag as text)',
      { topic: 'kiosks/EMQX-01/status', action: 'publish', retain: 'true' },
      'allow',
    ],
    ['subscribe to its own commands', { topic: 'kiosks/EMQX-01/commands', action: 'subscribe', qos: '1' }, 'allow'],
    ["publish another machine's events", { topic: 'kiosks/EMQX-02/events', action: 'publish' }, 'deny'],
    ['retain an event', { topic: 'kiosks/EMQX-01/events', action: 'publish', retain: true }, 'deny'],
    ['publish on its own commands topic', { topic: 'kiosks/EMQX-01/commands', action: 'publish' }, 'deny'],
    ["subscribe to every machine's events", { topic: 'kiosks/+/events', action: 'subscribe' }, 'deny'],
    ['subscribe to a shared group of the ingest', { topic: '$share/ingest/kiosks/+/events', action: 'subscribe' }, 'deny'],
  ])('a machine may %s: %s', async (_name, request, result) => {
    const res = await authorize({ clientid: 'EMQX-01', username: 'EMQX-01', ...request });
    expect([res.status, res.body]).toEqual([200, { result }]);
  });

  test('a machine connected under another client id is denied everything; other users are left to the next authorizer', async () => {
    const asOther = await authorize({ clientid: 'x', username: 'EMQX-01', topic: 'kiosks/EMQX-01/events', action: 'publish' });
    expect(asOther.body).toEqual({ result: 'deny' });
    const collector = await authorize({ clientid: 'c', username: 'collector', topic: 'kiosks/+/events', action: 'subscribe' });
    expect(collector.body).toEqual({ result: 'ignore' });
  });

  test('without the secret, or with a wrong one, the hooks answer 401 (EMQX treats that as ignore) and decide nothing', async () => {
    const body = { clientid: 'EMQX-01', username: 'EMQX-01', password: token };
    expect((await t.anonymous.post('/api/v1/emqx/authenticate', body)).status).toBe(401);
    const wrong = apiClient(t.baseUrl, { authorization: `Bearer ${SECRET.replace('0', '1')}` });
    expect((await wrong.post('/api/v1/emqx/authenticate', body)).status).toBe(401);
  });

  test('a request EMQX could not have sent (no topic, an unknown action) is a 400', async () => {
    expect((await authorize({ clientid: 'EMQX-01', username: 'EMQX-01', action: 'publish' })).status).toBe(400);
    expect((await authorize({ clientid: 'EMQX-01', username: 'EMQX-01', topic: 't', action: 'all' })).status).toBe(400);
  });
});
