import pg from 'pg';

/** Waits between attempts to reconnect a lost listening connection. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface PostgresListenerOptions {
  /** `postgres://…`, as DATABASE_URL. */
  url: string;
  /** The `LISTEN` channel (an identifier; quoted here). */
  channel: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  /** Called with each notification's payload, in the order the server sends them (commit order). */
  onNotify(payload: string): void;
  /**
   * Called after the connection was lost and made again: notifications sent in between are gone
   * for good (PostgreSQL does not keep them), so the listener must read the state afresh.
   */
  onResync(): void;
  /** Told when the connection is lost or a reconnection fails (once per outage). */
  onError?: ((error: unknown) => void) | undefined;
}

export interface PostgresListener {
  /** Whether the listening connection is up (false from its loss until it is made again). */
  isConnected(): boolean;
  close(): Promise<void>;
}

/**
 * One connection of its own that LISTENs on a channel (a pooled connection cannot: the pool hands
 * it to others). The first connection must succeed, so a wrong DATABASE_URL stops the start; a
 * connection lost later is made again with backoff (0.1 s doubling to 5 s), then `onResync` runs.
 */
export async function listenToPostgres(options: PostgresListenerOptions): Promise<PostgresListener> {
  let client: pg.Client | undefined;
  let isClosed = false;
  let isFailing = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const report = (error: unknown) => {
    if (!isFailing) options.onError?.(error);
    isFailing = true;
  };

  async function connect(): Promise<pg.Client> {
    const next = new pg.Client({
      connectionString: options.url,
      application_name: options.applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    // Without a listener an 'error' event (server gone) would end the process.
    next.on('error', (error) => lose(next, error));
    next.on('end', () => lose(next, new Error('the listening connection to PostgreSQL ended')));
    next.on('notification', (message) => {
      if (message.channel === options.channel && message.payload !== undefined) options.onNotify(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${next.escapeIdentifier(options.channel)}`);
    } catch (error) {
      next.removeAllListeners('end');
      await next.end().catch(() => undefined);
      throw error;
    }
    return next;
  }

  function lose(lost: pg.Client, error: unknown): void {
    if (lost !== client || isClosed) return;
    client = undefined;
    lost.removeAllListeners('end');
    void lost.end().catch(() => undefined);
    report(error);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().then(
        (next) => {
          if (isClosed) {
            void next.end().catch(() => undefined);
            return;
          }
          client = next;
          isFailing = false;
          retryMs = RETRY_MIN_MS;
          options.onResync();
        },
        (error: unknown) => {
          report(error);
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          if (!isClosed) scheduleReconnect();
        },
      );
    }, retryMs);
    retryTimer.unref();
  }

  client = await connect();
  return {
    isConnected: () => client !== undefined,
    async close() {
      isClosed = true;
      clearTimeout(retryTimer);
      const last = client;
      client = undefined;
      if (last) {
        last.removeAllListeners('end');
        await last.end().catch(() => undefined);
      }
    },
  };
}
