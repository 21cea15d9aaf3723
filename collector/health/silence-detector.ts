import type { Logger } from 'pino';
import { KIOSK_EVENT_TYPES } from '../../protocol/events.js';
import type { KioskLiveState } from '../domain/fleet-state.js';
import type { Ingest } from '../ingest.js';
import type { EventRecord, EventStore, TelemetryRecord } from '../store/event-store.js';
import { platformRecord } from './platform-record.js';

export interface SilenceDetectorOptions {
  ingest: Ingest;
  /** The live picture: only machines whose status says online can fall silent. */
  liveStates: () => readonly KioskLiveState[];
  /** Whether the platform is receiving at all (collector connected to the broker). */
  isReceiving: () => boolean;
  /** Machines already silent (from the history), so a restart does not record them again. */
  silentKioskIds: readonly string[];
  /** Silence longer than this marks a machine offline (OFFLINE_AFTER_MS). */
  timeoutMs: number;
  now: () => number;
  logger: Logger;
  /** Default a quarter of the timeout, at most 5 s. */
  checkIntervalMs?: number;
  /**
   * Whether this node holds the machine's connection. One node of a cluster hears only the machines
   * connected to it, so it judges only those: a machine talking to another node is not silent, and
   * a silent one is recorded by the one node that held it. Default: every machine (one node).
   */
  holdsConnection?: (kioskId: string) => boolean;
  /**
   * When this node hears only a share of every machine's messages (collectors sharing an external
   * broker's ingest, `MQTT_SHARE_GROUP`): the latest time at or after `sinceMs` that any node stored
   * something the machine sent, or null. A machine past the timeout here is silent only if no node
   * heard it either.
   */
  heardSince?: (kioskId: string, sinceMs: number) => Promise<number | null>;
}

/**
 * Offline by silence: a machine whose connection looks open (a half-open TCP link the broker has
 * not noticed, a hung application still answering pings) but which has sent nothing (status,
 * event or telemetry) for longer than the timeout. Recorded as `kiosk_silent`, dated when the
 * timeout passed; `kiosk_heard` when it speaks again.
 */
export class SilenceDetector {
  private readonly lastHeardMs = new Map<string, number>();
  private readonly silent: Set<string>;
  private timer: NodeJS.Timeout | null = null;
  private wasReceiving = true;
  private readonly onStored = (records: EventRecord[]) => {
    for (const r of records) if (isFromMachine(r)) this.heard(r.kioskId);
  };
  private readonly onTelemetry = (records: TelemetryRecord[]) => {
    for (const r of records) this.heard(r.kioskId);
  };

  constructor(private readonly options: SilenceDetectorOptions) {
    this.silent = new Set(options.silentKioskIds);
  }

  start(): void {
    const { ingest, timeoutMs } = this.options;
    ingest.on('stored', this.onStored);
    // What other nodes stored from a machine is heard as well (a cluster on one PostgreSQL).
    ingest.on('followed', this.onStored);
    ingest.on('telemetry', this.onTelemetry);
    this.timer = setInterval(
      () => void this.check().catch((error: unknown) => this.options.logger.error({ err: error }, 'silence check failed')),
      this.options.checkIntervalMs ?? Math.min(5_000, Math.max(100, timeoutMs / 4)),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.options.ingest.off('stored', this.onStored);
    this.options.ingest.off('followed', this.onStored);
    this.options.ingest.off('telemetry', this.onTelemetry);
  }

  /** Records machines silent past the timeout at `nowMs`; returns their ids. */
  async check(nowMs: number = this.options.now()): Promise<string[]> {
    const isReceiving = this.options.isReceiving();
    // While the platform hears nothing, silence proves nothing; afterwards every machine gets a full timeout.
    if (!isReceiving || !this.wasReceiving) {
      this.wasReceiving = isReceiving;
      for (const kioskId of this.lastHeardMs.keys()) this.lastHeardMs.set(kioskId, nowMs);
      if (!isReceiving) return [];
    }
    const records: EventRecord[] = [];
    for (const state of this.options.liveStates()) {
      if (state.connection !== 'online' || this.silent.has(state.kioskId)) continue;
      if (this.options.holdsConnection && !this.options.holdsConnection(state.kioskId)) {
        this.lastHeardMs.delete(state.kioskId); // judged afresh (a full timeout) if it connects here
        continue;
      }
      let lastMs = this.lastHeardMs.get(state.kioskId);
      if (lastMs === undefined) {
        this.lastHeardMs.set(state.kioskId, nowMs); // first look since start: a full timeout from now
        continue;
      }
      if (nowMs - lastMs <= this.options.timeoutMs) continue;
      const elsewhereMs = await this.options.heardSince?.(state.kioskId, lastMs + 1);
      if (elsewhereMs !== undefined && elsewhereMs !== null && elsewhereMs > lastMs) {
        lastMs = elsewhereMs;
        this.lastHeardMs.set(state.kioskId, lastMs);
        if (nowMs - lastMs <= this.options.timeoutMs) continue;
      }
      this.silent.add(state.kioskId);
      records.push(
        platformRecord(
          state.kioskId,
          { type: 'kiosk_silent', lastHeardAt: new Date(lastMs).toISOString(), timeoutMs: this.options.timeoutMs },
          { atMs: lastMs + this.options.timeoutMs, nowMs, id: `kiosk_silent-${state.kioskId}-${lastMs}` },
        ),
      );
    }
    if (records.length === 0) return [];
    if (!(await this.record(records))) {
      for (const r of records) this.silent.delete(r.kioskId); // tried again at the next check
      return [];
    }
    this.options.logger.info({ kiosks: records.map((r) => r.kioskId) }, 'machines silent past the timeout: offline');
    return records.map((r) => r.kioskId);
  }

  private heard(kioskId: string): void {
    const nowMs = this.options.now();
    this.lastHeardMs.set(kioskId, nowMs);
    if (!this.silent.delete(kioskId)) return;
    void this.record([platformRecord(kioskId, { type: 'kiosk_heard' }, { atMs: nowMs, nowMs })]);
  }

  private async record(records: EventRecord[]): Promise<boolean> {
    try {
      await this.options.ingest.recordPlatformEvents(records);
      return true;
    } catch (error) {
      this.options.logger.error({ err: error }, 'silence markers not recorded');
      return false;
    }
  }
}

/**
 * What the machine itself sent: its online status and its events, not its Last Will (the broker
 * publishes that) nor what the platform recorded about it (an operator's action, a courier's delivery).
 */
function isFromMachine(record: EventRecord): boolean {
  if (record.kioskId === '') return false;
  if (record.type === 'status') return record.data['state'] === 'online';
  if ('by' in record.data) return false;
  return (KIOSK_EVENT_TYPES as readonly string[]).includes(record.type);
}

/** The latest reading or event a machine sent at or after `sinceMs`, as any node stored it. */
export async function lastHeardInStore(store: EventStore, kioskId: string, sinceMs: number): Promise<number | null> {
  const [reading] = await store.readTelemetry({ kioskId, fromMs: sinceMs, limit: 1 });
  const [event] = await store.readEvents({ kioskId, fromMs: sinceMs, types: KIOSK_EVENT_TYPES, order: 'desc', limit: 1 });
  const times = [reading?.tsMs, event?.tsMs].filter((ms): ms is number => ms !== undefined);
  return times.length === 0 ? null : Math.max(...times);
}
