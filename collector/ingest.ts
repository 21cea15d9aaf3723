import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { EventAck, Topics } from '../protocol/index.js';
import { type DecodeLimits, decodeMessage, deadLetterOf, DEFAULT_DECODE_LIMITS, type DecodeRejection } from './decode.js';
import { acksOf } from './acks.js';
import { Backoff } from './backoff.js';
import { idConflictDeadLetter } from './id-conflict.js';
import type {
  AppendResult,
  DeadLetterRecord,
  EventRecord,
  EventStore,
  IdConflict,
  TelemetryRecord,
} from './store/event-store.js';
import type { Spool } from './store/spool.js';
import { OfflineStatusHold } from './offline-status-hold.js';
import { emptyIngestStats, type IngestStats } from './ingest-stats.js';
import { SpoolReplayer } from './spool-replayer.js';

export { emptyIngestStats, type IngestStats } from './ingest-stats.js';

export interface IngestOptions {
  topics: Topics;
  store: EventStore;
  logger: Logger;
  /** Sends an application-level ack to a machine (QoS 1 on its acks topic). */
  publishAck: (kioskId: string, ack: EventAck) => void;
  now?: () => number;
  limits?: Partial<DecodeLimits>;
  /** Most events written in one store transaction. */
  maxBatchEvents?: number;
  /**
   * Most events held in memory while the store is slow or down. Beyond it, events are shed:
   * not stored and not acked, so machines keep them in their outboxes and send them again.
   */
  maxQueuedEvents?: number;
  /**
   * Where a batch goes when the store cannot take it: machines are acked once it is fsynced
   * there, and it is replayed into the store, in order, when the store is back.
   */
  spool?: Spool | null;
  /**
   * How long an offline status waits before it is stored, for the machine's next boot to come
   * online and show it was a takeover's Last Will (see OfflineStatusHold). Default 0: no wait.
   */
  offlineHoldMs?: number;
}

/**
 * `stored` is the platform's internal bus (docs/architecture.md, "The internal bus"): the records
 * newly in the store, duplicates left out, machines' and the platform's own, in the order they
 * were appended. Listeners run synchronously in the write path: they must be quick and not throw.
 */
export interface IngestEvents {
  stored: [EventRecord[]];
  /**
   * Records another node stored in the shared history (PostgreSQL, cluster), in its commit order:
   * the live views fold them as they fold `stored`. Not counted or pushed to browsers here: the
   * node that stored them did both, for every node's browsers.
   */
  followed: [EventRecord[]];
  telemetry: [TelemetryRecord[]];
  deadLetter: [DeadLetterRecord];
}

interface Batch {
  records: EventRecord[];
  telemetry: TelemetryRecord[];
  deadLetters: DeadLetterRecord[];
  rejectedByKiosk: Map<string, DecodeRejection[]>;
}

const emptyBatch = (): Batch => ({ records: [], telemetry: [], deadLetters: [], rejectedByKiosk: new Map() });
const isEmpty = (b: Batch) => b.records.length + b.telemetry.length + b.deadLetters.length + b.rejectedByKiosk.size === 0;

/**
 * Statuses travel in the batch's one list with the events, in arrival order, because the live
 * fold applies a machine's records in that order; they are neither counted as queued events nor
 * acked (acksOf skips them).
 */
const queuedEventsIn = (records: readonly EventRecord[]) => records.filter((r) => r.type !== 'status').length;

/** The spool is full: the batch stays in memory, unacked. */
class SpoolFullError extends Error {}

/**
 * decode → validate → dedupe → append → ack. Messages are queued and written in batches, one
 * store transaction each; a machine is acked only after the append holding its events resolved.
 */
export class Ingest extends EventEmitter<IngestEvents> {
  private readonly options: Required<Omit<IngestOptions, 'limits' | 'spool' | 'offlineHoldMs'>> & { limits: DecodeLimits };
  private readonly offlineHold: OfflineStatusHold;
  private readonly spool: Spool | null;
  private readonly replayer: SpoolReplayer | null;
  private pending = emptyBatch();
  private isFlushing = false;
  private readonly retry = new Backoff();
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly counters: IngestStats = emptyIngestStats();

  constructor(options: IngestOptions) {
    super();
    this.options = {
      now: Date.now,
      maxBatchEvents: 2_000,
      maxQueuedEvents: 100_000,
      ...options,
      limits: { ...DEFAULT_DECODE_LIMITS, ...options.limits },
    };
    this.spool = options.spool ?? null;
    this.offlineHold = new OfflineStatusHold({
      holdMs: options.offlineHoldMs ?? 0,
      release: (record) => {
        this.pending.records.push(record);
        this.scheduleFlush();
      },
      onTakeover: (record, byBootId) =>
        this.options.logger.info(
          { kioskId: record.kioskId, bootId: record.data.bootId, byBootId },
          'Last Will of a connection taken over by a new boot: not recorded',
        ),
    });
    this.replayer = this.spool
      ? new SpoolReplayer({
          spool: this.spool,
          store: this.options.store,
          maxBatchEvents: this.options.maxBatchEvents,
          logger: this.options.logger,
          onReplayed: (records, result) => {
            this.countStored(records, result);
            // Acked already, from the spool: the dead letter and the counters still tell.
            this.refuseConflicts(result.conflicts);
          },
          onFailure: (error) => {
            this.counters.storeErrors += 1;
            this.counters.lastStoreError = error.message;
          },
        })
      : null;
    this.replayer?.start();
  }

  /** Takes one MQTT message. Never throws: whatever is wrong with it becomes a dead letter. */
  accept(topic: string, payload: Buffer): void {
    const receivedMs = this.options.now();
    this.counters.messagesIn += 1;
    const decoded = decodeMessage(this.options.topics, topic, payload, receivedMs, this.options.limits);
    switch (decoded.kind) {
      case 'ignored':
        return;
      case 'dead':
        this.reject(deadLetterOf(topic, decoded.kioskId, decoded, payload, receivedMs));
        break;
      case 'telemetry':
        this.pending.telemetry.push(decoded.record);
        break;
      case 'status':
        if (this.offlineHold.offer(decoded.record)) return;
        this.pending.records.push(decoded.record);
        break;
      case 'events': {
        for (const rejection of decoded.rejected) {
          this.reject(deadLetterOf(topic, decoded.kioskId, rejection, decoded.raw, receivedMs));
          if (rejection.id !== undefined) {
            const list = this.pending.rejectedByKiosk.get(decoded.kioskId) ?? [];
            list.push(rejection);
            this.pending.rejectedByKiosk.set(decoded.kioskId, list);
          }
        }
        if (this.counters.queuedEvents + decoded.records.length > this.options.maxQueuedEvents) {
          this.counters.shed += decoded.records.length;
        } else {
          this.pending.records.push(...decoded.records);
          this.counters.queuedEvents += decoded.records.length;
        }
      }
    }
    this.scheduleFlush();
  }

  /** Records something refused before it reached the collector (by the broker's ACL, say). */
  reject(record: DeadLetterRecord): void {
    this.counters.rejectedByReason[record.reason] = (this.counters.rejectedByReason[record.reason] ?? 0) + 1;
    this.pending.deadLetters.push(record);
    this.options.logger.debug({ topic: record.topic, reason: record.reason, detail: record.detail }, 'message rejected');
    this.scheduleFlush();
  }

  /**
   * Appends events the platform itself originates (an operator's acknowledgement, a reservation
   * created through the API): durable once this resolves, then folded and pushed like a
   * machine's events. Idempotent on id, like every append.
   */
  async recordPlatformEvents(records: readonly EventRecord[]): Promise<AppendResult> {
    const result = await this.options.store.append(records);
    const inserted = new Set(result.inserted);
    const stored = records.filter((r) => inserted.has(r.id));
    this.counters.eventsStored += stored.length;
    if (stored.length > 0) this.emit('stored', stored);
    return result;
  }

  /** Hands on what another node stored, as `followed` (postgres-append-feed.ts). */
  follow(records: EventRecord[]): void {
    if (records.length > 0) this.emit('followed', records);
  }

  stats(): IngestStats {
    const spool = this.spool?.stats();
    return {
      ...this.counters,
      rejectedByReason: { ...this.counters.rejectedByReason },
      spoolDepth: spool?.depthEvents ?? 0,
      spoolDropped: spool?.droppedEvents ?? 0,
    };
  }

  /** Resolves once everything accepted so far has been written (or the store gave up for now). */
  async drain(): Promise<void> {
    if (!this.isFlushing && isEmpty(this.pending)) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Queues the offline statuses still held, to be stored by the next flush (before a stop). */
  releaseHeldStatuses(): void {
    this.offlineHold.releaseAll();
  }

  /** Stops retrying; what is still queued stays unacked and machines will resend it. */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.replayer?.stop();
  }

  private scheduleFlush(): void {
    if (this.isFlushing || this.retryTimer) return;
    this.isFlushing = true;
    setImmediate(() => void this.flushLoop());
  }

  private takeBatch(): Batch {
    const max = this.options.maxBatchEvents;
    if (this.pending.records.length <= max) {
      const batch = this.pending;
      this.pending = emptyBatch();
      return batch;
    }
    const batch = { ...this.pending, records: this.pending.records.slice(0, max) };
    this.pending = { ...emptyBatch(), records: this.pending.records.slice(max) };
    return batch;
  }

  private async flushLoop(): Promise<void> {
    while (!isEmpty(this.pending)) {
      const batch = this.takeBatch();
      try {
        await this.write(batch);
        this.retry.reset();
      } catch (error) {
        if (!(error instanceof SpoolFullError)) {
          this.counters.storeErrors += 1;
          this.counters.lastStoreError = (error as Error).message;
          if (this.trySpool(batch) && batch.deadLetters.length === 0) continue;
        }
        this.putBack(batch);
        const retryInMs = this.retry.next();
        this.options.logger.error({ err: error, retryInMs }, 'store write failed; will retry');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.isFlushing = true;
          void this.flushLoop();
        }, retryInMs);
        break;
      }
    }
    this.isFlushing = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private putBack(batch: Batch): void {
    this.pending.records.unshift(...batch.records);
    this.pending.deadLetters.unshift(...batch.deadLetters);
    for (const [kioskId, list] of batch.rejectedByKiosk) {
      this.pending.rejectedByKiosk.set(kioskId, [...list, ...(this.pending.rejectedByKiosk.get(kioskId) ?? [])]);
    }
  }

  /** Writes a batch; on failure, whatever was already written is not written again on retry. */
  private async write(batch: Batch): Promise<void> {
    const { store, logger } = this.options;
    if (batch.deadLetters.length > 0) {
      const written = batch.deadLetters;
      await store.appendDeadLetters(written);
      batch.deadLetters = [];
      this.counters.deadLetters += written.length;
      for (const record of written) this.emit('deadLetter', record);
    }
    if (batch.records.length > 0 && this.replayer?.hasBacklog()) {
      // Behind what is spooled, so that the store receives every machine's events in order.
      if (!this.trySpool(batch)) throw new SpoolFullError('spool full');
    } else {
      const result =
        batch.records.length > 0 ? await store.append(batch.records) : { inserted: [], duplicates: [], conflicts: [] };
      this.counters.queuedEvents -= queuedEventsIn(batch.records);
      this.countStored(batch.records, result);
      this.refuseConflicts(result.conflicts);
      this.sendAcks(batch, result.conflicts);
    }

    if (batch.telemetry.length > 0) {
      try {
        await store.appendTelemetry(batch.telemetry);
        this.counters.telemetryStored += batch.telemetry.length;
      } catch (error) {
        // A reading is a sample, not a record: losing one during an outage loses nothing counted.
        logger.warn({ err: error, readings: batch.telemetry.length }, 'telemetry not stored');
      }
      this.emit('telemetry', batch.telemetry);
    }
  }

  private countStored(records: readonly EventRecord[], result: AppendResult): void {
    this.counters.eventsStored += result.inserted.length;
    this.counters.duplicates += result.duplicates.length;
    if (records.length > 0) this.counters.lastStoredMs = this.options.now();
    const inserted = new Set(result.inserted);
    const stored = records.filter((r) => inserted.has(r.id));
    if (stored.length > 0) this.emit('stored', stored);
  }

  /**
   * Puts a batch's events in the spool and, once they are fsynced there, acks them (with the
   * batch's rejections); the batch keeps only its dead letters. False when there is no spool,
   * nothing to spool, or the spool is full (then the batch is untouched and nobody is acked).
   */
  private trySpool(batch: Batch): boolean {
    if (!this.spool || batch.records.length === 0) return false;
    if (!this.spool.put(batch.records)) {
      const { droppedEvents, bytes, maxBytes } = this.spool.stats();
      this.options.logger.error(
        { events: batch.records.length, droppedEvents, spoolBytes: bytes, maxBytes },
        'spool full: events not acked, machines will resend them',
      );
      return false;
    }
    this.counters.queuedEvents -= queuedEventsIn(batch.records);
    this.counters.spooled += batch.records.length;
    this.sendAcks(batch);
    batch.records = [];
    batch.rejectedByKiosk = new Map();
    this.replayer?.wake();
    return true;
  }

  /**
   * Events whose id was stored already with another content: dead-lettered with both versions and
   * counted; the machine is told `rejected` (in sendAcks). An identical body stays a duplicate.
   */
  private refuseConflicts(conflicts: readonly IdConflict[]): void {
    if (conflicts.length === 0) return;
    const receivedMs = this.options.now();
    this.counters.idConflicts += conflicts.length;
    for (const conflict of conflicts) {
      this.reject(idConflictDeadLetter(conflict, this.options.topics.topic(conflict.refused.kioskId, 'events'), receivedMs));
    }
    this.options.logger.warn(
      { ids: conflicts.slice(0, 10).map((c) => c.id), count: conflicts.length },
      'events refused: their ids are stored already with another content',
    );
  }

  private sendAcks(batch: Batch, conflicts: readonly IdConflict[] = []): void {
    for (const [kioskId, ack] of acksOf(batch, conflicts)) {
      this.options.publishAck(kioskId, ack);
      this.counters.acksSent += 1;
    }
  }
}
