import type { Logger } from 'pino';
import type { Ingest } from '../ingest.js';
import type { EventStore } from '../store/event-store.js';
import { platformRecord } from './platform-record.js';

const RECENT_EVENTS = 50;

/**
 * When the platform last knew it was receiving: the latest receive time among the newest stored
 * events (a graceful stop records `platform_stopped`, which is one of them). Read before the
 * collector subscribes, so what it receives on start does not hide the gap. Null for a new store.
 */
export async function lastActivityMs(store: EventStore): Promise<number | null> {
  const recent = await store.readEvents({ order: 'desc', limit: RECENT_EVENTS });
  return recent.reduce<number | null>((max, r) => (max === null || r.receivedMs > max ? r.receivedMs : max), null);
}

export interface PlatformWatchOptions {
  ingest: Ingest;
  isReceiving: () => boolean;
  /** From lastActivityMs, read before the collector started. */
  downSinceMs: number | null;
  now: () => number;
  logger: Logger;
  /** How often the broker link is looked at. Default 1 s. */
  checkIntervalMs?: number;
  /** One node of several (NODE_NAME): named in every marker, which is then this node's fact only. */
  node?: string;
}

/**
 * Records when the platform itself was not receiving, so that time is `unknown` for every machine
 * rather than counted against it: `platform_started` (with the gap since it last received),
 * `platform_stopped`, and the collector losing and regaining its broker.
 */
export class PlatformWatch {
  private timer: NodeJS.Timeout | null = null;
  private wasReceiving = true;

  constructor(private readonly options: PlatformWatchOptions) {}

  async start(): Promise<void> {
    const { downSinceMs, now } = this.options;
    const nowMs = now();
    await this.record(
      'platform_started',
      nowMs,
      downSinceMs === null ? {} : { downSince: new Date(Math.min(downSinceMs, nowMs)).toISOString() },
    );
    this.check();
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Records the stop; call it while the store is still open. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.record('platform_stopped', this.options.now());
  }

  private check(): void {
    const isReceiving = this.options.isReceiving();
    if (isReceiving === this.wasReceiving) return;
    this.wasReceiving = isReceiving;
    void this.record(isReceiving ? 'collector_link_regained' : 'collector_link_lost', this.options.now());
  }

  private async record(
    type: 'platform_started' | 'platform_stopped' | 'collector_link_lost' | 'collector_link_regained',
    atMs: number,
    extra: { downSince?: string } = {},
  ): Promise<void> {
    try {
      const node = this.options.node === undefined ? {} : { node: this.options.node };
      const body = type === 'platform_started' ? { type, ...node, ...extra } : { type, ...node };
      await this.options.ingest.recordPlatformEvents([platformRecord('', body, { atMs, nowMs: atMs })]);
      this.options.logger.info({ marker: type }, 'platform marker recorded');
    } catch (error) {
      this.options.logger.error({ err: error, marker: type }, 'platform marker not recorded');
    }
  }
}
