import type { Logger } from 'pino';
import type { Calendar } from '../../time/calendar.js';
import { CIRCULATION_TYPES } from '../domain/circulation.js';
import {
  type ExpectedActivity,
  type HistoryShortfall,
  fitExpectedActivity,
  HOUR_MS,
  hourObservations,
  hourStartOf,
} from '../domain/expected-activity.js';
import { type Interval, mergeIntervals } from '../domain/interval.js';
import { checkLending, type LendingCheck, type LendingCheckOptions, nextLendingFlag } from '../domain/lending-check.js';
import type { NotLendingCondition } from '../domain/machine-condition.js';
import { AVAILABLE_STATES } from '../domain/service-state.js';
import type { Ingest } from '../ingest.js';
import type { EventRecord, EventStore } from '../store/event-store.js';
import type { FleetHealth } from './fleet-health.js';
import { platformRecord } from './platform-record.js';

export interface LendingWatchOptions {
  store: EventStore;
  ingest: Ingest;
  health: FleetHealth;
  calendar: Calendar;
  /** The check's thresholds (NOT_LENDING_PROBABILITY); the rest keep their defaults. */
  check: Partial<LendingCheckOptions>;
  /** Whether the platform is receiving at all: while it is not, silence proves nothing. */
  isReceiving: () => boolean;
  now: () => number;
  logger: Logger;
  /** Default 5 min: detection takes hours at a library machine's pace, minutes do not matter. */
  checkIntervalMs?: number;
  /** History the model learns from; default a year (the season needs every month). */
  historyDays?: number;
  /**
   * Whether this node holds the machine's connection (a cluster): only that node hears its loans
   * and returns, so only it judges the machine. Default: every machine (one node).
   */
  holdsConnection?: (kioskId: string) => boolean;
}

/** What the machine page shows: what usually happens in this hour, and what did. */
export interface KioskActivity {
  kioskId: string;
  hourStartMs: number;
  /** Loans + returns usual for this hour (null with too little history). */
  usualThisHour: number | null;
  seenThisHour: number;
  /** Why there is no expectation yet, when there is none. */
  insufficientHistory: HistoryShortfall | null;
  /** The machine's usual rate, hour by hour, for the next 24 hours from this hour. */
  usualNext24h: number[] | null;
  notLending: NotLendingCondition | null;
}

const DEFAULT_CHECK_INTERVAL_MS = 300_000;
const PAGE = 5_000;
const DAY_MS = 86_400_000;

/**
 * Runs the pure lending check (collector/domain/lending-check.ts) on every machine that is online
 * and in service, against its expected activity, and records `kiosk_not_lending` when it stops
 * lending (opening an "online but not lending" alert through the ordinary alert fold) and
 * `kiosk_lending_resumed` when readers manage again or another state takes over. Keeps every
 * machine's loan and return times for the last `historyDays` in memory (8 bytes each: about 2 MB
 * a year for the 70-machine reference fleet).
 */
export class LendingWatch {
  private readonly transactions = new Map<string, number[]>();
  private readonly models = new Map<string, { hourStartMs: number; model: ExpectedActivity }>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<unknown> = Promise.resolve();
  private readonly onStored = (records: EventRecord[]) => {
    for (const r of records) if (isTransaction(r)) this.add(r.kioskId, r.tsMs);
  };

  constructor(private readonly options: LendingWatchOptions) {}

  private get historyMs(): number {
    return (this.options.historyDays ?? 365) * DAY_MS;
  }

  async start(): Promise<void> {
    this.options.ingest.on('stored', this.onStored);
    // A cluster's other nodes' loans and returns count too (a shared ingest hears only a share).
    this.options.ingest.on('followed', this.onStored);
    const fromMs = this.options.now() - this.historyMs;
    let last: EventRecord | undefined;
    for (;;) {
      const page = await this.options.store.readEvents({
        types: CIRCULATION_TYPES,
        fromMs,
        limit: PAGE,
        ...(last ? { after: { tsMs: last.tsMs, id: last.id } } : {}),
      });
      for (const r of page) this.add(r.kioskId, r.tsMs);
      if (page.length < PAGE) break;
      last = page.at(-1);
    }
    this.timer = setInterval(
      () => void this.check().catch((error: unknown) => this.options.logger.error({ err: error }, 'lending check failed')),
      this.options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.options.ingest.off('stored', this.onStored);
    this.options.ingest.off('followed', this.onStored);
  }

  /** Checks every machine at `nowMs` (default now); checks run one after another. Answers the changes recorded. */
  check(nowMs: number = this.options.now()): Promise<EventRecord[]> {
    const run = this.checking.then(() => this.checkAll(nowMs));
    this.checking = run;
    return run;
  }

  /** What usually happens in the current hour and what did, for the machine page. */
  activity(kioskId: string, nowMs: number = this.options.now()): KioskActivity {
    const model = this.modelOf(kioskId, nowMs);
    const hourStartMs = hourStartOf(nowMs);
    const times = this.transactions.get(kioskId) ?? [];
    const seenThisHour = times.filter((t) => t >= hourStartMs && t < hourStartMs + HOUR_MS).length;
    const isModel = model.kind === 'model';
    return {
      kioskId,
      hourStartMs,
      usualThisHour: isModel ? model.ratePerHour(hourStartMs) : null,
      seenThisHour,
      insufficientHistory: isModel ? null : model.shortfall,
      usualNext24h: isModel ? Array.from({ length: 24 }, (_, i) => model.ratePerHour(hourStartMs + i * HOUR_MS)) : null,
      notLending: this.options.health.notLending(kioskId),
    };
  }

  /** The machine's model of usual activity as of the start of the current hour (refitted once an hour). */
  modelOf(kioskId: string, nowMs: number): ExpectedActivity {
    const hourStartMs = hourStartOf(nowMs);
    const cached = this.models.get(kioskId);
    if (cached?.hourStartMs === hourStartMs) return cached.model;
    this.trimmed(kioskId, hourStartMs - this.historyMs);
    const model = this.fit(kioskId, hourStartMs);
    this.models.set(kioskId, { hourStartMs, model });
    return model;
  }

  /**
   * The model as of an earlier instant (for reports over past months): fitted on what this watch
   * still holds of the year before it, so a month more than `historyDays` back may have too little.
   */
  modelAsOf(kioskId: string, atMs: number, nowMs: number = this.options.now()): ExpectedActivity {
    return hourStartOf(atMs) >= hourStartOf(nowMs) ? this.modelOf(kioskId, nowMs) : this.fit(kioskId, hourStartOf(atMs));
  }

  private fit(kioskId: string, hourStartMs: number): ExpectedActivity {
    const fromMs = hourStartMs - this.historyMs;
    const times = this.transactions.get(kioskId) ?? [];
    return fitExpectedActivity(
      hourObservations(times, this.availableOf(kioskId, fromMs, hourStartMs), fromMs, hourStartMs),
      this.options.calendar,
    );
  }

  private async checkAll(nowMs: number): Promise<EventRecord[]> {
    if (!this.options.isReceiving()) return [];
    const { health } = this.options;
    const records: EventRecord[] = [];
    for (const kioskId of health.kioskIds()) {
      if (this.options.holdsConnection && !this.options.holdsConnection(kioskId)) continue;
      const flag = health.notLending(kioskId);
      const isAvailable = (AVAILABLE_STATES as readonly string[]).includes(health.serviceState(kioskId).state);
      if (!isAvailable) {
        if (flag) records.push(this.resumed(kioskId, 'not_in_service', nowMs));
        continue;
      }
      const check = this.checkOne(kioskId, nowMs);
      const step = nextLendingFlag(flag !== null, check);
      if (step === 'raise' && check.kind === 'not_lending') {
        const { sinceMs, expected, seen, probability } = check.evidence;
        records.push(
          platformRecord(
            kioskId,
            { type: 'kiosk_not_lending', since: new Date(sinceMs).toISOString(), expected, seen, probability },
            { atMs: nowMs, nowMs, id: `kiosk_not_lending-${kioskId}-${sinceMs}` },
          ),
        );
      } else if (step === 'clear') {
        records.push(this.resumed(kioskId, 'activity', nowMs));
      }
    }
    if (records.length === 0) return [];
    try {
      await this.options.ingest.recordPlatformEvents(records);
    } catch (error) {
      this.options.logger.error({ err: error }, 'lending changes not recorded; tried again at the next check');
      return [];
    }
    this.options.logger.info({ changes: records.map((r) => `${r.kioskId}: ${r.type}`) }, 'lending checked');
    return records;
  }

  private checkOne(kioskId: string, nowMs: number): LendingCheck {
    const model = this.modelOf(kioskId, nowMs);
    const available = this.availableOf(kioskId, nowMs - 7 * DAY_MS, nowMs);
    return checkLending({ nowMs, model, eventMs: this.transactions.get(kioskId) ?? [], available }, this.options.check);
  }

  private resumed(kioskId: string, reason: 'activity' | 'not_in_service', nowMs: number): EventRecord {
    return platformRecord(kioskId, { type: 'kiosk_lending_resumed', reason }, { atMs: nowMs, nowMs });
  }

  /** When readers could use the machine: in service or degraded (what the platform knows of it). */
  private availableOf(kioskId: string, fromMs: number, toMs: number): Interval[] {
    return mergeIntervals(
      this.options.health
        .timeline(kioskId, fromMs, toMs)
        .filter((i) => (AVAILABLE_STATES as readonly string[]).includes(i.state))
        .map((i) => ({ fromMs: i.fromMs, toMs: i.toMs })),
    );
  }

  private add(kioskId: string, atMs: number): void {
    let times = this.transactions.get(kioskId);
    if (!times) this.transactions.set(kioskId, (times = []));
    if (times.length === 0 || times.at(-1)! <= atMs) times.push(atMs);
    else
      times.splice(
        times.findIndex((t) => t > atMs),
        0,
        atMs,
      ); // late: an outbox emptied after a reconnect
  }

  private trimmed(kioskId: string, fromMs: number): number[] {
    const times = this.transactions.get(kioskId) ?? [];
    const first = times.findIndex((t) => t >= fromMs);
    if (first === -1) times.length = 0;
    else if (first > 0) times.splice(0, first);
    return times;
  }
}

const isTransaction = (r: EventRecord) => r.kioskId !== '' && (CIRCULATION_TYPES as readonly string[]).includes(r.type);
