import { createCalendar } from '../../time/calendar.js';
import { locationFlux, probeFlux } from './influx-flux.js';
import { createInfluxHttp, describeFailure, type InfluxConnection, InfluxStoreError } from './influx-http.js';
import { startupCheckLine } from './influx-schema.js';

export interface InfluxAccessCheck extends InfluxConnection {
  /** The fleet zone: when its offset changes (daylight saving), InfluxDB must know it by name. */
  timeZone: string;
  timeoutMs?: number;
}

const YEAR_MS = 365 * 86_400_000;

/** What InfluxDB said, from a store error or the client's own. */
const failureOf = (error: unknown) =>
  describeFailure(error instanceof InfluxStoreError && error.cause !== undefined ? error.cause : error);

/**
 * The start-up check of the INFLUX_* settings, before anything else starts: the organization and
 * bucket exist, the token may read the bucket (a Flux query, which also shows the server runs Flux,
 * unlike InfluxDB 1.x and 3) and may write to it (one `startup_check` point). Rejects with
 * STORE_OPEN_FAILED and one line saying which setting is wrong. Not retried: it fails fast.
 */
export async function checkInfluxAccess(check: InfluxAccessCheck): Promise<void> {
  const { url, org, bucket } = check;
  const http = createInfluxHttp(check, {
    timeoutMs: check.timeoutMs ?? 10_000,
    maxRetries: 0,
    minRetryDelayMs: 0,
    maxRetryDelayMs: 0,
    gzipThresholdBytes: 1000,
  });
  const fail = (message: string, cause: unknown): never => {
    throw new InfluxStoreError('STORE_OPEN_FAILED', `InfluxDB check failed: ${message}`, { cause });
  };
  try {
    let answer: unknown;
    try {
      answer = await http.getJson(`/api/v2/buckets?org=${encodeURIComponent(org)}&name=${encodeURIComponent(bucket)}`);
    } catch (error) {
      const failure = describeFailure(error);
      if (failure.status === 401 || failure.status === 403) fail(`${url} refused INFLUX_TOKEN (${failure.summary})`, error);
      if (failure.status === 404) {
        fail(
          `${url} knows no organization ${JSON.stringify(org)} (INFLUX_ORG), or is not InfluxDB 2.x (${failure.summary})`,
          error,
        );
      }
      fail(`cannot reach ${url} (INFLUX_URL): ${failure.summary}`, error);
    }
    const buckets = (answer as { buckets?: Array<{ name?: unknown }> } | undefined)?.buckets ?? [];
    if (!buckets.some((b) => b.name === bucket)) {
      fail(
        `no bucket ${JSON.stringify(bucket)} in organization ${JSON.stringify(org)} (INFLUX_BUCKET), or INFLUX_TOKEN may not read it`,
        undefined,
      );
    }

    const calendar = createCalendar(check.timeZone);
    const nowMs = Date.now();
    const needsZoneByName = locationFlux(calendar, nowMs - YEAR_MS, nowMs + YEAR_MS).startsWith('timezone.location');
    try {
      await http.query(probeFlux(bucket, needsZoneByName ? check.timeZone : undefined), 'read the bucket');
    } catch (error) {
      const { status, summary } = failureOf(error);
      if (/unknown time zone/i.test(summary)) {
        fail(
          `InfluxDB has no time zone data for ${check.timeZone} (FLEET_TZ): give its server the zone database (tzdata or ZONEINFO, see influxdata/influxdb#23248)`,
          error,
        );
      }
      if (status === 401 || status === 403)
        fail(`INFLUX_TOKEN may not read bucket ${JSON.stringify(bucket)} (${summary})`, error);
      if (status === 404 || status === 405)
        fail(`${url} runs no Flux queries: this store needs InfluxDB 2.x (${summary})`, error);
      fail(`a test query of bucket ${JSON.stringify(bucket)} failed: ${summary}`, error);
    }

    try {
      await http.writeLines([startupCheckLine(nowMs)], 'write to the bucket');
    } catch (error) {
      const { status, summary } = failureOf(error);
      if (status === 401 || status === 403)
        fail(`INFLUX_TOKEN may not write to bucket ${JSON.stringify(bucket)} (${summary})`, error);
      fail(`a test write to bucket ${JSON.stringify(bucket)} failed: ${summary}`, error);
    }
  } finally {
    http.close();
  }
}
