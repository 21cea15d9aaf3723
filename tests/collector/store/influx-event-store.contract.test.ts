import { randomUUID } from 'node:crypto';
import { describe, test } from 'vitest';
import { createInfluxEventStore } from '../../../collector/store/influx-event-store.js';
import { describeEventStoreContract } from '../../contract/event-store-contract.js';

/**
 * The EventStore contract against a real InfluxDB 2.x, when one is configured (docs/influxdb.md,
 * "Running the contract suite"). Each test gets an empty bucket: a new one, deleted afterwards
 * (the token needs the right to create and delete buckets), or INFLUX_BUCKET emptied first.
 */
const { INFLUX_URL: url, INFLUX_TOKEN: token, INFLUX_ORG: org, INFLUX_BUCKET: sharedBucket } = process.env;

/** The few management calls of the InfluxDB 2.x HTTP API the suite needs. */
function influxAdmin(baseUrl: string, apiToken: string, orgName: string) {
  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: { authorization: `Token ${apiToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }
  let orgId: Promise<string> | undefined;
  return {
    async createBucket(name: string): Promise<{ name: string; id: string }> {
      orgId ??= call('GET', `/api/v2/orgs?org=${encodeURIComponent(orgName)}`).then(
        (r) => (r as { orgs: Array<{ id: string }> }).orgs[0]!.id,
      );
      const created = (await call('POST', '/api/v2/buckets', { orgID: await orgId, name, retentionRules: [] })) as { id: string };
      return { name, id: created.id };
    },
    deleteBucket: (id: string) => call('DELETE', `/api/v2/buckets/${id}`),
    deleteAllData: (bucket: string) =>
      call('POST', `/api/v2/delete?org=${encodeURIComponent(orgName)}&bucket=${encodeURIComponent(bucket)}`, {
        start: '1970-01-01T00:00:00Z',
        stop: '2262-01-01T00:00:00Z',
      }),
  };
}

if (url && token && org) {
  const admin = influxAdmin(url, token, org);
  describeEventStoreContract(`InfluxDB at ${url}`, async (timeZone) => {
    let bucket: { name: string; id?: string };
    if (sharedBucket) {
      await admin.deleteAllData(sharedBucket);
      bucket = { name: sharedBucket };
    } else {
      bucket = await admin.createBucket(`kiosk-fleet-contract-${randomUUID()}`);
    }
    const store = createInfluxEventStore({ url, token, org, bucket: bucket.name, timeZone });
    return {
      store,
      async cleanup() {
        await store.close();
        if (bucket.id !== undefined) await admin.deleteBucket(bucket.id);
      },
    };
  });
} else {
  describe.skip('EventStore contract: InfluxDB (skipped: no InfluxDB 2.x configured; set INFLUX_URL, INFLUX_TOKEN and INFLUX_ORG, see docs/influxdb.md)', () => {
    test('passes every EventStore contract test against a real InfluxDB', () => undefined);
  });
}
