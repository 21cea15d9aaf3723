import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { EventAck, Topics } from '../protocol/index.js';
import { type DecodeLimits, decodeMessage, deadLetterOf, DEFAULT_DECODE_LIMITS, type DecodeRejection } from './decode.js';
import { acksOf } from './acks.js';
import { Backoff } from './backoff.js';
import { idConflictDeadLetter } from './id-conflict.js';
import { type Batch, emptyBatch, isEmpty, machineEventsOf, platformRequestsOf, recordsOf, takeBatch } from './ingest-batch.js';
import {
  conflictsOfMachines,
  PlatformRequest,
  type PlatformWriteResult,
  type RecordPlatformOptions,
  storeCatchingUp,
} from './platform-write.js';
import type {
  AppendResult,
  DeadLetterRecord,
  EventRecord,
  EventStore,
  IdConflict,
  TelemetryRecord,
} from './store/event-store.js';
import type { Spool } from './store/spool.js';
import { StoreError } from './store/store-error.js';
import { OfflineStatusHold } from './offline-status-hold.js';
import { emptyIngestStats, type IngestStats } from './ingest-stats.js';
import { SpoolReplayer } from './spool-replayer.js';

export { emptyIngestStats, type IngestStats } from './ingest-stats.js';
export type { IfStoreDown, PlatformWriteResult, RecordPlatformOptions } from './platform-write.js';

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
  telemetry: [TelemetryRecord[]];
  deadLetter: [DeadLetterRecord];
}

/** The spool is full: the batch stays in memory, unacked. */
class SpoolFullError extends Error {}

/**
 * decode → validate → dedupe → append → ack. Messages are queued and written in batches, one
 * store transaction each; a machine is acked only after the append holding its events resolved.
 * The platform's own records take the same path (recordPlatformEvents), so they reach the store,
 * the spool and the live view in order with the machines' events.
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
  /**
   * Ids of platform records in the spool, not yet replayed: a repeat of one is answered as a
   * duplicate, as the store would, so a caller acts once on it (an escalation is sent once). In
   * memory only: one spooled before a restart and recorded again before the replay reached it
   * is answered as new once more.
   */
  private readonly spooledPlatformIds = new Set<string>();

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
        this.pending.entries.push({ kind: 'status', record });
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
            const machineConflicts = result.conflicts.filter((c) => !this.spooledPlatformIds.has(c.id));
            if (this.spooledPlatformIds.size > 0) for (const r of records) this.spooledPlatformIds.delete(r.id);
            this.countStored(records, result);
            // Acked or answered already, from the spool: the dead letter and the counters still tell.
            this.refuseConflicts(machineConflicts);
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
        this.pending.entries.push({ kind: 'status', record: decoded.record });
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
          if (decoded.records.length > 0) this.pending.entries.push({ kind: 'events', records: decoded.records });
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
   * Records events the platform itself originates (an operator's acknowledgement, a reservation
   * created through the API) through the machines' write path, in arrival order with their events.
   * Resolves once durable: stored, or spooled (store down, `ifStoreDown: 'spool'`, the default; see
   * PlatformWriteResult). Rejects when the store failed and they could not be spooled (no spool,
   * spool full, `ifStoreDown: 'fail'`): they never wait in memory for the store. Idempotent on id.
   */
  recordPlatformEvents(records: readonly EventRecord[], options: RecordPlatformOptions = {}): Promise<PlatformWriteResult> {
    const request = PlatformRequest.of(records, options.ifStoreDown ?? 'spool', this.spooledPlatformIds);
    if (request.records.length === 0) return request.answerWaiting();
    this.pending.entries.push({ kind: 'platform', request });
    this.scheduleFlush();
    return request.promise;
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
    const wasWaiting = this.retryTimer !== null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.replayer?.stop();
    // Waiting for a retry that will not come: the platform's callers learn it now.
    if (wasWaiting) this.refusePlatformRecords(this.pending, new StoreError('STORE_CLOSED', 'the ingest stopped'), () => true);
  }

  private scheduleFlush(): void {
    if (this.isFlushing || this.retryTimer) return;
    this.isFlushing = true;
    setImmediate(() => void this.flushLoop());
  }

  private takeBatch(): Batch {
    const { batch, rest } = takeBatch(this.pending, this.options.maxBatchEvents);
    this.pending = rest;
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
          if (this.trySpool(batch, error as Error) && batch.deadLetters.length === 0) continue;
        }
        // A platform record is stored, spooled or refused to its caller; it never waits in memory.
        this.refusePlatformRecords(batch, error as Error, () => true);
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
    this.pending.entries.unshift(...batch.entries);
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
    if (batch.entries.length > 0 && this.replayer?.hasBacklog()) {
      // Behind what is spooled, so that the store receives every machine's events in order.
      if (!this.trySpool(batch, storeCatchingUp('the spool is being replayed'))) throw new SpoolFullError('spool full');
    } else {
      const records = recordsOf(batch.entries);
      const result = records.length > 0 ? await store.append(records) : { inserted: [], duplicates: [], conflicts: [] };
      const events = machineEventsOf(batch.entries);
      this.counters.queuedEvents -= events.length;
      this.countStored(records, result);
      const requests = platformRequestsOf(batch.entries);
      this.refuseConflicts(requests.length > 0 ? conflictsOfMachines(result.conflicts, requests) : result.conflicts);
      this.sendAcks(events, batch.rejectedByKiosk, result.conflicts);
      PlatformRequest.answerStored(requests, result);
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
   * Puts a batch's records in the spool and, once they are fsynced there, acks the machines (with
   * the batch's rejections) and answers the platform's callers; the batch keeps only its dead
   * letters. The platform requests that may not wait for the store (`ifStoreDown: 'fail'`) are
   * refused with `error` first. False when there is no spool, nothing to spool, or the spool is
   * full (then the batch keeps the rest and nobody is acked).
   */
  private trySpool(batch: Batch, error: Error): boolean {
    if (!this.spool || batch.entries.length === 0) return false;
    this.refusePlatformRecords(batch, error, (request) => request.ifStoreDown === 'fail');
    const records = recordsOf(batch.entries);
    if (records.length > 0 && !this.spool.put(records)) {
      const { droppedEvents, bytes, maxBytes } = this.spool.stats();
      this.options.logger.error(
        { events: records.length, droppedEvents, spoolBytes: bytes, maxBytes },
        'spool full: events not acked, machines will resend them',
      );
      return false;
    }
    const events = machineEventsOf(batch.entries);
    this.counters.queuedEvents -= events.length;
    this.counters.spooled += records.length;
    this.sendAcks(events, batch.rejectedByKiosk);
    for (const request of platformRequestsOf(batch.entries)) {
      for (const r of request.records) this.spooledPlatformIds.add(r.id);
      request.spooled();
    }
    batch.entries = [];
    batch.rejectedByKiosk = new Map();
    if (records.length > 0) this.replayer?.wake();
    return true;
  }

  /** Takes the platform requests that `isRefused` out of the batch and rejects them with `error`. */
  private refusePlatformRecords(batch: Batch, error: Error, isRefused: (request: PlatformRequest) => boolean): void {
    batch.entries = batch.entries.filter((entry) => {
      if (entry.kind !== 'platform' || !isRefused(entry.request)) return true;
      entry.request.refused(error);
      return false;
    });
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

  private sendAcks(
    events: readonly EventRecord[],
    rejectedByKiosk: ReadonlyMap<string, readonly DecodeRejection[]>,
    conflicts: readonly IdConflict[] = [],
  ): void {
    for (const [kioskId, ack] of acksOf({ events, rejectedByKiosk }, conflicts)) {
      this.options.publishAck(kioskId, ack);
      this.counters.acksSent += 1;
    }
  }
}
