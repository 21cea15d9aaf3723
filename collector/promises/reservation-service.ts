/*
 * Long because one service owns the reservation promise end to end (its fold, the API's actions,
 * the notice timer and the delivery figures), and splitting them would spread one state machine
 * over several files; its pure rules live in collector/domain/reservations.ts.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Topics } from '../../protocol/index.js';
import type { Destination } from '../../protocol/reservation-destination.js';
import type { Calendar, LocalMonth } from '../../time/calendar.js';
import {
  countedDeliveries,
  dueNotice,
  emptyHistory,
  foldReservationEvent,
  type NoticeStep,
  onTimeRates,
  type OnTimeRate,
  parseReservationEvent,
  type Reservation,
  reservationAt,
  reservationEventIds,
  RESERVATION_EVENT_TYPES,
  type ReservationHistory,
  type ReservationState,
  type SlaPolicy,
} from '../domain/reservations.js';
import type { Ingest } from '../ingest.js';
import type { EventRecord, EventStore } from '../store/event-store.js';
import { PromiseError } from './promise-error.js';
import { readHistory } from './read-history.js';

export interface ReservationServiceOptions {
  store: EventStore;
  ingest: Ingest;
  calendar: Calendar;
  topics: Topics;
  policy: SlaPolicy;
  isKnownKiosk: (kioskId: string) => boolean;
  now: () => number;
  logger: Logger;
  /** Times further ahead of `now` are refused. Default one hour. */
  maxClockSkewMs?: number;
  /** How often at-risk and breach transitions are looked for. Default one minute. */
  checkIntervalMs?: number;
}

/** What the notifiers receive: once per reservation and step, across restarts. */
export interface ReservationNotice {
  step: NoticeStep;
  reservationId: string;
  /** The destination machine, or `''` for a home delivery. */
  kioskId: string;
  destination: Destination;
  createdAt: string;
  deadline: string;
  issuedAt: string;
  windowUsedRatio: number;
}

export interface ReservationSummary {
  open: number;
  atRisk: number;
  breached: number;
  slaHours: number;
}

export interface ReservationServiceEvents {
  notice: [ReservationNotice];
  /** Reservations changed (an event folded, a notice issued). */
  changed: [];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A reservation's steps after its creation: the event id each is stored under, the input field of its time. */
const TRANSITIONS = {
  reservation_delivered: { eventId: reservationEventIds.delivered, timeField: 'deliveredAt' },
  reservation_picked_up: { eventId: reservationEventIds.pickedUp, timeField: 'pickedUpAt' },
  reservation_cancelled: { eventId: reservationEventIds.cancelled, timeField: 'cancelledAt' },
} as const;

/**
 * The 72-hour reservation promise: the fold of every reservation event, loaded from the history
 * on start and updated from each stored event; a timer issues at-risk and breach notices, each
 * recorded as a `reservation_notice` event before it is emitted, so it fires once.
 */
export class ReservationService extends EventEmitter<ReservationServiceEvents> {
  private readonly histories = new Map<string, ReservationHistory>();
  private readonly uncheckedDeliveries: EventRecord[] = [];
  private isLoaded = false;
  private running: Promise<ReservationNotice[]> | null = null;
  private queued: Promise<ReservationNotice[]> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly onStored = (records: EventRecord[]) => this.apply(records, true);

  constructor(private readonly options: ReservationServiceOptions) {
    super();
  }

  get policy(): SlaPolicy {
    return this.options.policy;
  }

  async start(): Promise<void> {
    this.options.ingest.on('stored', this.onStored);
    // Other nodes' appends (a cluster on PostgreSQL): this view shows the whole fleet's history.
    this.options.ingest.on('followed', this.onStored);
    await readHistory(this.options.store, RESERVATION_EVENT_TYPES, (page) => this.apply(page, false));
    this.isLoaded = true;
    this.checkDeliveries();
    this.options.logger.info({ reservations: this.histories.size }, 'reservations loaded');
    await this.checkNotices();
    this.timer = setInterval(() => void this.checkNotices(), this.options.checkIntervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.options.ingest.off('stored', this.onStored);
    this.options.ingest.off('followed', this.onStored);
  }

  get(reservationId: string): Reservation | null {
    const history = this.histories.get(reservationId);
    return history ? reservationAt(history, this.options.policy, this.options.now()) : null;
  }

  /** Reservations in some states (all when none given), for one destination if given, oldest first. */
  list(filter: { states?: readonly ReservationState[]; kioskId?: string } = {}): Reservation[] {
    return this.all().filter(
      (r) =>
        (filter.states === undefined || filter.states.includes(r.state)) &&
        (filter.kioskId === undefined || r.kioskId === filter.kioskId),
    );
  }

  onTimeRates(fromMonth?: LocalMonth, toMonth?: LocalMonth): { byMonth: OnTimeRate[]; byDestination: OnTimeRate[] } {
    const { byMonth, byDestination } = onTimeRates(this.all(), this.options.calendar);
    const inRange = (r: OnTimeRate) =>
      (fromMonth === undefined || r.month >= fromMonth) && (toMonth === undefined || r.month <= toMonth);
    return { byMonth: byMonth.filter(inRange), byDestination: byDestination.filter(inRange) };
  }

  summary(): ReservationSummary {
    const all = this.all();
    const count = (state: ReservationState) => all.filter((r) => r.state === state).length;
    return {
      open: count('open'),
      atRisk: count('at_risk'),
      breached: count('breached'),
      slaHours: this.options.policy.windowMs / 3_600_000,
    };
  }

  /**
   * Records a reservation created by the online lending platform. The same id with the same
   * content is the same reservation (`isNew` false); with other content it is a conflict.
   */
  async create(input: {
    reservationId: string;
    createdAtMs: number;
    destination: Destination;
  }): Promise<{ reservation: Reservation; isNew: boolean }> {
    const { reservationId, createdAtMs, destination } = input;
    this.checkNotFuture(createdAtMs, 'createdAt');
    if (destination.kind === 'kiosk' && !this.options.isKnownKiosk(destination.kioskId)) {
      throw new PromiseError('KIOSK_NOT_FOUND', `no kiosk with id ${destination.kioskId}`, 'destination.kioskId');
    }
    const existing = this.histories.get(reservationId)?.created;
    if (existing) return { reservation: this.sameOrConflict(reservationId, createdAtMs, destination), isNew: false };
    const id = reservationEventIds.created(reservationId);
    const ts = iso(createdAtMs);
    const kioskId = destination.kind === 'kiosk' ? destination.kioskId : '';
    const result = await this.record({
      id,
      kioskId,
      type: 'reservation_created',
      tsMs: createdAtMs,
      data: { id, ts, type: 'reservation_created', reservationId, destination },
    });
    // Two concurrent creates of one id: the store kept one; the other request learns which.
    return { reservation: this.sameOrConflict(reservationId, createdAtMs, destination), isNew: result.inserted.includes(id) };
  }

  /**
   * A courier's delivery. An unknown reservation is dead-lettered (`unknown_reservation`) and
   * nothing is recorded; a second delivery changes nothing (`isNew` false).
   */
  async deliver(
    reservationId: string,
    input: { atMs: number; by: string },
    origin = 'api',
  ): Promise<{ reservation: Reservation; isNew: boolean }> {
    const nowMs = this.options.now();
    const current = this.get(reservationId);
    if (!current) {
      this.options.ingest.reject({
        receivedMs: nowMs,
        topic: origin,
        reason: 'unknown_reservation',
        detail: `delivery of reservation ${reservationId}, which was never created; nothing recorded`,
        payloadExcerpt: JSON.stringify({ reservationId, deliveredAt: iso(input.atMs), by: input.by }).slice(0, 1024),
      });
      throw new PromiseError('RESERVATION_NOT_FOUND', `no reservation with id ${reservationId}`);
    }
    if (current.delivery) return { reservation: current, isNew: false };
    if (current.cancelled) throw new PromiseError('RESERVATION_CANCELLED', `reservation ${reservationId} was cancelled`);
    return this.transition(current, 'reservation_delivered', input.atMs, { by: input.by });
  }

  async pickUp(
    reservationId: string,
    input: { atMs: number; by?: string | undefined },
  ): Promise<{ reservation: Reservation; isNew: boolean }> {
    const current = this.found(reservationId);
    if (current.pickedUpAtMs !== null) return { reservation: current, isNew: false };
    if (!current.delivery)
      throw new PromiseError('RESERVATION_NOT_DELIVERED', `reservation ${reservationId} has not been delivered yet`);
    return this.transition(current, 'reservation_picked_up', input.atMs, input.by ? { by: input.by } : {});
  }

  async cancel(
    reservationId: string,
    input: { atMs: number; reason?: string | undefined },
  ): Promise<{ reservation: Reservation; isNew: boolean }> {
    const current = this.found(reservationId);
    if (current.cancelled) return { reservation: current, isNew: false };
    return this.transition(current, 'reservation_cancelled', input.atMs, input.reason ? { reason: input.reason } : {});
  }

  /**
   * Issues the at-risk and breach notices due at `atMs` (default now): each is appended as a
   * `reservation_notice` event with a deterministic id and emitted only if this call stored it, so
   * it fires once, across restarts and across the nodes of a cluster (another node's notice under
   * the same id, dated by its own check, is refused by the store as taken: not stored, not emitted).
   */
  checkNotices(atMs?: number): Promise<ReservationNotice[]> {
    if (!this.isLoaded) return Promise.resolve([]);
    if (!this.running) {
      this.running = this.issueDueNotices(atMs ?? this.options.now()).finally(() => (this.running = null));
      return this.running;
    }
    // One check at a time; a request during a check gets one more check after it (coalesced).
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.checkNotices(atMs);
    });
    return this.queued;
  }

  private async issueDueNotices(nowMs: number): Promise<ReservationNotice[]> {
    try {
      const due: { reservation: Reservation; step: NoticeStep; record: EventRecord }[] = [];
      for (const reservation of this.all(nowMs)) {
        const step = dueNotice(reservation, nowMs);
        if (!step) continue;
        const id = reservationEventIds.notice(reservation.reservationId, step);
        const ts = iso(nowMs);
        const data = {
          id,
          ts,
          type: 'reservation_notice',
          reservationId: reservation.reservationId,
          step,
          deadline: iso(reservation.deadlineMs),
        };
        due.push({
          reservation,
          step,
          record: { id, kioskId: reservation.kioskId, type: 'reservation_notice', ts, tsMs: nowMs, receivedMs: nowMs, data },
        });
      }
      if (due.length === 0) return [];
      const result = await this.options.ingest.recordPlatformEvents(due.map((d) => d.record));
      const inserted = new Set(result.inserted);
      const notices = due
        .filter((d) => inserted.has(d.record.id))
        .map(({ reservation: r, step }): ReservationNotice => ({
          step,
          reservationId: r.reservationId,
          kioskId: r.kioskId,
          destination: r.destination,
          createdAt: iso(r.createdAtMs),
          deadline: iso(r.deadlineMs),
          issuedAt: iso(nowMs),
          windowUsedRatio: (nowMs - r.createdAtMs) / this.options.policy.windowMs,
        }));
      for (const notice of notices) {
        this.options.logger.info({ reservationId: notice.reservationId, step: notice.step }, 'reservation notice');
        this.emit('notice', notice);
      }
      return notices;
    } catch (error) {
      this.options.logger.error({ err: error }, 'reservation notices not recorded; retried at the next check');
      return [];
    }
  }

  private all(nowMs: number = this.options.now()): Reservation[] {
    const all: Reservation[] = [];
    for (const history of this.histories.values()) {
      const reservation = reservationAt(history, this.options.policy, nowMs);
      if (reservation) all.push(reservation);
    }
    return all.sort((a, b) => a.createdAtMs - b.createdAtMs || (a.reservationId < b.reservationId ? -1 : 1));
  }

  private found(reservationId: string): Reservation {
    const reservation = this.get(reservationId);
    if (!reservation) throw new PromiseError('RESERVATION_NOT_FOUND', `no reservation with id ${reservationId}`);
    return reservation;
  }

  private sameOrConflict(reservationId: string, createdAtMs: number, destination: Destination): Reservation {
    const reservation = this.get(reservationId)!;
    if (reservation.createdAtMs !== createdAtMs || JSON.stringify(reservation.destination) !== JSON.stringify(destination)) {
      throw new PromiseError(
        'RESERVATION_CONFLICT',
        `reservation ${reservationId} already exists with other content (created ${iso(reservation.createdAtMs)}, destination ${JSON.stringify(reservation.destination)})`,
      );
    }
    return reservation;
  }

  private checkNotFuture(atMs: number, field: string): void {
    if (atMs > this.options.now() + (this.options.maxClockSkewMs ?? 3_600_000))
      throw new PromiseError('INVALID_TIME', 'is in the future', field);
  }

  private checkTime(atMs: number, reservation: Reservation, field: string): void {
    this.checkNotFuture(atMs, field);
    if (atMs < reservation.createdAtMs)
      throw new PromiseError('INVALID_TIME', `is before the reservation was created (${iso(reservation.createdAtMs)})`, field);
  }

  /**
   * Records one step of a known reservation's life at `atMs` (checked: not in the future, not
   * before its creation; a refusal names the step's time field), with its deterministic id, so a
   * repeated request stores nothing (`isNew` false). Answers the reservation as it is now.
   */
  private async transition(
    current: Reservation,
    type: keyof typeof TRANSITIONS,
    atMs: number,
    fields: { by?: string; reason?: string },
  ): Promise<{ reservation: Reservation; isNew: boolean }> {
    const { reservationId, kioskId } = current;
    const { eventId, timeField } = TRANSITIONS[type];
    this.checkTime(atMs, current, timeField);
    const id = eventId(reservationId);
    const data = { id, ts: iso(atMs), type, reservationId, ...fields };
    const result = await this.record({ id, kioskId, type, tsMs: atMs, data });
    return { reservation: this.get(reservationId)!, isNew: result.inserted.includes(id) };
  }

  private async record(event: Omit<EventRecord, 'ts' | 'receivedMs'>) {
    const nowMs = this.options.now();
    // The answer is read back from the fold, which a spooled record reaches only once stored.
    return this.options.ingest.recordPlatformEvents([{ ...event, ts: iso(event.tsMs), receivedMs: nowMs }], {
      ifStoreDown: 'fail',
    });
  }

  private apply(records: readonly EventRecord[], isLive: boolean): void {
    let hasChanged = false;
    let hasNewReservation = false;
    for (const record of records) {
      if (!(RESERVATION_EVENT_TYPES as string[]).includes(record.type)) continue;
      const data = parseReservationEvent(record);
      if (!data) continue;
      const before = this.histories.get(data.reservationId) ?? emptyHistory(data.reservationId);
      this.histories.set(data.reservationId, foldReservationEvent(before, record, data));
      hasChanged = true;
      if (data.type === 'reservation_created') hasNewReservation = true;
      // A machine's own delivery (no `by`) is checked against known reservations once stored.
      if (isLive && data.type === 'reservation_delivered' && data.by === undefined) this.uncheckedDeliveries.push(record);
    }
    if (this.isLoaded) this.checkDeliveries();
    if (hasChanged && isLive) this.emit('changed');
    // A reservation created late (a backlog) may already be at risk: look at once, not in a minute.
    if (hasNewReservation && isLive) void this.checkNotices();
  }

  /**
   * A machine's delivery of a reservation unknown when it arrived is stored with the machine's
   * history (the machine did say it) but counts for nothing; it is dead-lettered so it is seen.
   */
  private checkDeliveries(): void {
    for (const record of this.uncheckedDeliveries.splice(0)) {
      const reservationId = String(record.data['reservationId']);
      const history = this.histories.get(reservationId);
      if (history && countedDeliveries(history).some((d) => d.eventId === record.id)) continue;
      this.options.ingest.reject({
        receivedMs: record.receivedMs,
        topic: this.options.topics.topic(record.kioskId, 'events'),
        kioskId: record.kioskId,
        reason: 'unknown_reservation',
        detail: `event ${record.id}: reservation ${reservationId} is not known; stored in the history, changes nothing`,
        payloadExcerpt: JSON.stringify(record.data).slice(0, 1024),
      });
    }
  }
}
