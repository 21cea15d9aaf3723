import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';

/** Every key the public JSON may carry, at every level. Adding one is a decision, not an accident. */
const TOP_KEYS = ['counts', 'generatedAt', 'machines'];
const COUNT_KEYS = ['closed', 'lending', 'returns_only'];
const MACHINE_KEYS = ['address', 'district', 'districtEn', 'lat', 'lon', 'name', 'nameEn', 'since', 'status'];

interface PublicStatus {
  generatedAt: string;
  counts: Record<string, number>;
  machines: Record<string, unknown>[];
}

describe('the public status page for readers', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
    const admin = await t.api('admin');
    for (const [id, extra] of [
      ['PUB-1', { address: '三里屯路 19 号' }],
      ['PUB-2', {}],
      ['PUB-DEPOT', { lifecycle: 'reserve' }],
    ] as const) {
      const created = await admin.post('/api/v1/kiosks', {
        id,
        name: `${id} 自助图书馆`,
        nameEn: `${id} library`,
        district: '朝阳',
        lat: 39.9,
        lon: 116.4,
        ...extra,
      });
      expect(created.status).toBe(201);
    }
  });
  afterAll(async () => t?.stop());

  test('answers without credentials, with only the keys it may carry: no ids, fault codes, telemetry or people', async () => {
    const res = await t.anonymous.get<PublicStatus>('/api/v1/public/status');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(TOP_KEYS);
    expect(Object.keys(res.body.counts).sort()).toEqual(COUNT_KEYS);
    expect(res.body.machines.length).toBeGreaterThan(0);
    for (const machine of res.body.machines) expect(Object.keys(machine).sort()).toEqual(MACHINE_KEYS);
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/PUB-\d"|bootId|faultId|firmware|telemetry|"id"/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=5');
  });

  test('reserve stock is not listed; a machine never heard from is closed; one online and in service is lending now, since when', async () => {
    const { body } = await t.anonymous.get<PublicStatus>('/api/v1/public/status');
    const names = body.machines.map((m) => m.name);
    expect(names).not.toContain('PUB-DEPOT 自助图书馆');
    expect(body.machines.find((m) => m.address === '三里屯路 19 号')).toMatchObject({ status: 'closed' });

    const token = await t.provision('PUB-3');
    const client = await t.connectKiosk('PUB-3', token);
    try {
      const onlineAt = new Date().toISOString();
      await client.publishAsync('kiosks/PUB-3/status', JSON.stringify({ state: 'online', ts: onlineAt, bootId: 'b1' }), {
        qos: 1,
        retain: true,
      });
      // The answer is reused for a few seconds: poll until a fresh one shows the machine.
      await expect
        .poll(
          async () =>
            (await t.anonymous.get<PublicStatus>('/api/v1/public/status')).body.machines.find(
              (m) => m.name === 'Test machine PUB-3',
            ),
          { timeout: 15_000, interval: 500 },
        )
        .toMatchObject({ status: 'lending', since: onlineAt });
    } finally {
      await client.endAsync();
    }
  });

  test('a machine hidden through the API leaves the page; everything else still needs sign-in', async () => {
    expect((await t.anonymous.post('/api/v1/kiosks/PUB-2/public-status', { hidden: true })).status).toBe(401);
    expect((await t.anonymous.get('/api/v1/kiosks')).status).toBe(401);
    const operator = await t.api('operator');
    const hidden = await operator.post('/api/v1/kiosks/PUB-2/public-status', { hidden: true });
    expect(hidden).toMatchObject({ status: 200, body: { kioskId: 'PUB-2', hiddenFromStatusPage: true } });
    // The answer is reused for a few seconds: poll until the cached one has expired.
    await expect
      .poll(async () => (await t.anonymous.get<PublicStatus>('/api/v1/public/status')).body.machines.map((m) => m.name), {
        timeout: 10_000,
        interval: 500,
      })
      .not.toContain('PUB-2 自助图书馆');
  });

  test('the HTML page is served without sign-in, under the CSP, with its script from this origin', async () => {
    const res = await fetch(`${t.baseUrl}/status`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="status.js"></script>');
    expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
