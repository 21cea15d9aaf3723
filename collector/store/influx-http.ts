import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { FluxRow } from './influx-schema.js';
import { StoreError, type StoreErrorCode } from './store-error.js';

/** Where the store's bucket is and how to reach it. */
export interface InfluxConnection {
  /** Base URL of InfluxDB 2.x, e.g. `http://localhost:8086` (no `/api/v2`). */
  url: string;
  /** API token; sent as `Authorization: Token …`. */
  token: string;
  /** Organization name. */
  org: string;
  bucket: string;
}

/** How requests are timed and retried. */
export interface InfluxHttpOptions {
  /** A request with no answer (no byte) for this long fails and may be retried. Default 10 s. */
  timeoutMs: number;
  /** Retries after a first failure, for 429, 5xx, time-outs and broken connections. Default 3. */
  maxRetries: number;
  /** First backoff delay, doubled at each retry. Default 200 ms. */
  minRetryDelayMs: number;
  /** Longest wait before a retry; a longer Retry-After gives up at once (and reports it). Default 10 s. */
  maxRetryDelayMs: number;
  /** Write bodies larger than this are gzipped. Default 1000 bytes (the client's own default). */
  gzipThresholdBytes: number;
  logger?: Logger;
}

/**
 * An error of the InfluxDB event store. `code` is one of the store's stable codes; `status` is the
 * HTTP status InfluxDB answered, if it answered; `unwrittenPoints` counts the points a failed
 * write left unwritten (the caller still holds them); `retryAfterMs` is InfluxDB's Retry-After.
 */
export class InfluxStoreError extends StoreError {
  readonly status: number | undefined;
  readonly unwrittenPoints: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    code: StoreErrorCode,
    message: string,
    details: { cause?: unknown; status?: number; unwrittenPoints?: number; retryAfterMs?: number } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.unwrittenPoints = details.unwrittenPoints;
    this.retryAfterMs = details.retryAfterMs;
  }
}

interface Failure {
  isRetriable: boolean;
  status?: number;
  retryAfterMs?: number;
  /** What went wrong, in a few words: `503 Service Unavailable: hinted handoff…`, `request timed out`. */
  summary: string;
}

/** Connection errors worth another try: the server restarted, a proxy dropped the connection. */
const RETRIABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). The client
 * library reads delay-seconds as milliseconds, so it is read here from the headers instead.
 */
export function parseRetryAfterMs(value: unknown, nowMs: number): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Whether a failed request may be tried again, and what InfluxDB said. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof HttpError) {
    const status = error.statusCode;
    const said = error.json && typeof error.json.message === 'string' ? (error.json.message as string) : error.body;
    const retryAfterMs = parseRetryAfterMs(error.headers?.['retry-after'], Date.now());
    return {
      // 429: too many requests; 5xx: InfluxDB (or a proxy) is down or overloaded. 4xx are final:
      // 400 bad line protocol, 401 bad token, 404 no such bucket, 413 too large, 422 type conflict.
      isRetriable: status === 429 || status === 408 || status >= 500,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      summary: `${status} ${error.statusMessage ?? ''}${said ? `: ${said.trim().slice(0, 300)}` : ''}`.replace(/ +:/, ':'),
    };
  }
  const e = error as { name?: string; code?: string; message?: string };
  if (e.name === 'RequestTimedOutError') return { isRetriable: true, summary: 'no answer before the time-out' };
  if (e.name === 'AbortError') return { isRetriable: true, summary: 'the response was cut off' };
  const isRetriable = typeof e.code === 'string' && RETRIABLE_NETWORK_CODES.has(e.code);
  return { isRetriable, summary: e.message ?? String(error) };
}

export interface InfluxHttp {
  /** Writes lines (one request each `chunkLines`), retrying; rejects with STORE_WRITE_FAILED. */
  writeLines(lines: readonly string[], what: string): Promise<void>;
  /** Runs a Flux query, retrying; rejects with STORE_READ_FAILED. */
  query(flux: string, what: string): Promise<FluxRow[]>;
  /** One GET of the HTTP API, answered as JSON; not retried. */
  getJson(path: string): Promise<unknown>;
  /** Cuts short every wait before a retry: a failing call gives up instead of trying again. */
  stopRetrying(): void;
  /** Closes the sockets, the busy ones too: call once no request is in progress. */
  close(): void;
}

/** Lines per write request: InfluxDB advises batches of about 5000 lines. */
const CHUNK_LINES = 5000;

export function createInfluxHttp(connection: InfluxConnection, options: InfluxHttpOptions): InfluxHttp {
  // Our own agent, so closing the store closes its keep-alive sockets.
  const agent = connection.url.startsWith('https:') ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const influx = new InfluxDB({
    url: connection.url,
    token: connection.token,
    timeout: options.timeoutMs,
    transportOptions: { agent },
  });
  const queryApi = influx.getQueryApi(connection.org);
  const stopRetrying = new AbortController();

  /** One write request. The WriteApi buffers nothing beyond it and never retries on its own. */
  async function writeOnce(lines: string[]): Promise<void> {
    const writeApi = influx.getWriteApi(connection.org, connection.bucket, 'ns', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      gzipThreshold: options.gzipThresholdBytes,
      // Hands the failure to flush() as a rejection, instead of the client logging it to the console.
      writeFailed: (error) => Promise.reject(error),
    });
    try {
      writeApi.writeRecords(lines);
      await writeApi.flush();
    } finally {
      writeApi.dispose();
    }
  }

  async function withRetries<T>(what: string, code: StoreErrorCode, attempt: () => Promise<T>, pointsAtStake = 0): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        const failure = describeFailure(error);
        const backoffMs = Math.min(options.minRetryDelayMs * 2 ** (failures - 1), options.maxRetryDelayMs);
        const delayMs = failure.retryAfterMs ?? backoffMs * (0.75 + Math.random() / 2);
        const isGivingUp =
          !failure.isRetriable ||
          failures > options.maxRetries ||
          delayMs > options.maxRetryDelayMs ||
          stopRetrying.signal.aborted;
        if (isGivingUp) {
          const why = !failure.isRetriable
            ? ''
            : failures > options.maxRetries
              ? ` after ${failures} attempts`
              : stopRetrying.signal.aborted
                ? ' (the store is closing: not retried)'
                : ` (asked to retry after ${Math.round(delayMs / 1000)} s: left to the caller)`;
          const lost = pointsAtStake > 0 ? `; ${pointsAtStake} points not written` : '';
          throw new InfluxStoreError(code, `cannot ${what}: InfluxDB ${failure.summary}${why}${lost}`, {
            cause: error,
            ...(failure.status === undefined ? {} : { status: failure.status }),
            ...(pointsAtStake > 0 ? { unwrittenPoints: pointsAtStake } : {}),
            ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
          });
        }
        options.logger?.warn(
          { err: error, attempt: failures, retryInMs: Math.round(delayMs) },
          `${what}: InfluxDB ${failure.summary}; retrying`,
        );
        try {
          await sleep(delayMs, undefined, { signal: stopRetrying.signal });
        } catch {
          // Closing: the next turn of the loop gives up with the failure at hand.
        }
      }
    }
  }

  return {
    async writeLines(lines, what) {
      for (let start = 0; start < lines.length; start += CHUNK_LINES) {
        const chunk = lines.slice(start, start + CHUNK_LINES);
        await withRetries(what, 'STORE_WRITE_FAILED', () => writeOnce(chunk), lines.length - start);
      }
    },

    query: (flux, what) =>
      withRetries(what, 'STORE_READ_FAILED', async () => {
        const rows = await queryApi.collectRows<FluxRow>(flux);
        // A query failing after its response started ends with an error table instead of a status.
        const failed = rows.find((row) => typeof row.error === 'string' && 'reference' in row);
        if (failed) throw new Error(`the query failed: ${String(failed.error)}`);
        return rows;
      }),

    getJson: (path) =>
      influx.transport.request(path, '', { method: 'GET', headers: { accept: 'application/json' } }) as Promise<unknown>,

    stopRetrying: () => stopRetrying.abort(),

    close() {
      stopRetrying.abort();
      agent.destroy();
    },
  };
}
