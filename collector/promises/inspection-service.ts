import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Calendar, LocalMonth } from '../../time/calendar.js';
import type { Checklist } from '../../protocol/checklist.js';
import {
  type Inspection,
  type InspectionIndex,
  indexInspections,
  type KioskInService,
  type MonthCompliance,
  monthCompliance,
  recordedInspectionEventSchema,
  toInspection,
  type WeekCompliance,
  weekCompliance,
  type WeekReport,
  weekReport,
  type WeekStatus,
  weekStatusOf,
} from '../domain/inspections.js';
import { type IsoWeek, isoWeekOf, isoWeeksBetween } from '../../time/iso-week.js';
import type { Ingest } from '../ingest.js';
import type { EventRecord, EventStore } from '../store/event-store.js';
import { PromiseError } from './promise-error.js';
import { readHistory } from './read-history.js';

export interface InspectionServiceOptions {
  store: EventStore;
  ingest: Ingest;
  calendar: Calendar;
  /** The machines and their lifecycle, read on each question (the registry). */
  kiosks: () => readonly KioskInService[];
  now: () => number;
  logger: Logger;
  /** Inspections stamped further ahead of `now` are refused. Default one hour. */
  maxClockSkewMs?: number;
}

/** An inspection entered through the API (validated at the edge). */
export interface InspectionInput {
  kioskId: string;
  inspector: string;
  result: Inspection['result'];
  checklist?: Checklist | undefined;
  notes?: string | undefined;
  inspectedAtMs: number;
  /** The account that entered it. */
  by: string;
}

export interface InspectionSummary {
  week: IsoWeek;
  expected: number;
  done: number;
  due: number;
  overdue: number;
  complianceRatio: number | null;
}

export interface InspectionServiceEvents {
  /** The inspections changed: figures derived from them may have too. */
  changed: [];
}

/**
 * The weekly inspection promise, kept in memory: loaded from the history on start, then
 * updated from every stored `inspection` event (from a machine or from the API).
 */
export class InspectionService extends EventEmitter<InspectionServiceEvents> {
  private readonly inspections = new Map<string, Inspection>();
  private index: InspectionIndex | null = null;
  private readonly onStored = (records: EventRecord[]) => this.apply(records);

  constructor(private readonly options: InspectionServiceOptions) {
    super();
  }

  /** Subscribes first, then replays the history: an event stored meanwhile is folded once (by id). */
  async start(): Promise<void> {
    this.options.ingest.on('stored', this.onStored);
    // Other nodes' appends (a cluster on PostgreSQL): this view shows the whole fleet's history.
    this.options.ingest.on('followed', this.onStored);
    await readHistory(this.options.store, ['inspection'], (page) => this.apply(page, false));
    this.options.logger.info({ inspections: this.inspections.size }, 'inspections loaded');
  }

  stop(): void {
    this.options.ingest.off('stored', this.onStored);
    this.options.ingest.off('followed', this.onStored);
  }

  currentWeek(): IsoWeek {
    return isoWeekOf(this.options.now(), this.options.calendar);
  }

  weekReport(week: IsoWeek = this.currentWeek()): WeekReport {
    return weekReport(this.indexed(), this.options.kiosks(), week, this.options.now(), this.options.calendar);
  }

  /** Compliance per week from `from` to `to`, and per month for the months those weeks count for. */
  compliance(from: IsoWeek, to: IsoWeek): { weeks: WeekCompliance[]; months: MonthCompliance[] } {
    const { calendar } = this.options;
    const nowMs = this.options.now();
    const kiosks = this.options.kiosks();
    const index = this.indexed();
    const weeks = isoWeeksBetween(from, to).map((week) => weekCompliance(index, kiosks, week, nowMs, calendar));
    const months = [...new Set<LocalMonth>(weeks.map((w) => w.month))].map((month) =>
      monthCompliance(index, kiosks, month, nowMs, calendar),
    );
    return { weeks, months };
  }

  /** Inspections in a range of weeks, newest first, and for one machine its status week by week. */
  history(
    from: IsoWeek,
    to: IsoWeek,
    kioskId?: string,
  ): { inspections: Inspection[]; weeks?: { week: IsoWeek; status: WeekStatus }[] } {
    const weeks = isoWeeksBetween(from, to);
    const inRange = new Set(weeks);
    const inspections = [...this.inspections.values()]
      .filter((i) => inRange.has(i.week) && (kioskId === undefined || i.kioskId === kioskId))
      .sort((a, b) => b.inspectedAtMs - a.inspectedAtMs || (a.id < b.id ? 1 : -1));
    const kiosk = kioskId === undefined ? undefined : this.options.kiosks().find((k) => k.kioskId === kioskId);
    if (!kiosk) return { inspections };
    const nowMs = this.options.now();
    return {
      inspections,
      weeks: weeks.map((week) => ({ week, status: weekStatusOf(this.indexed(), kiosk, week, nowMs, this.options.calendar) })),
    };
  }

  /** The first week with an inspection on record (from a machine or the API), or null. */
  firstInspectedWeek(): IsoWeek | null {
    let firstMs = Number.POSITIVE_INFINITY;
    for (const inspection of this.inspections.values()) firstMs = Math.min(firstMs, inspection.inspectedAtMs);
    return Number.isFinite(firstMs) ? isoWeekOf(firstMs, this.options.calendar) : null;
  }

  summary(): InspectionSummary {
    const report = this.weekReport();
    return {
      week: report.week,
      expected: report.expected,
      done: report.done.length,
      due: report.due.length,
      overdue: report.overdue.length,
      complianceRatio: report.complianceRatio,
    };
  }

  /**
   * Records an inspection entered through the API, as the same `inspection` event a machine sends
   * plus `by`. Its id is derived from the machine and the instant, so a retried request is one
   * inspection.
   */
  async record(input: InspectionInput): Promise<{ inspection: Inspection; isNew: boolean }> {
    const nowMs = this.options.now();
    if (!this.options.kiosks().some((k) => k.kioskId === input.kioskId)) {
      throw new PromiseError('KIOSK_NOT_FOUND', `no kiosk with id ${input.kioskId}`, 'kioskId');
    }
    if (input.inspectedAtMs > nowMs + (this.options.maxClockSkewMs ?? 3_600_000)) {
      throw new PromiseError('INVALID_TIME', 'is in the future', 'inspectedAt');
    }
    const id = `insp-${input.kioskId}-${input.inspectedAtMs}`;
    const ts = new Date(input.inspectedAtMs).toISOString();
    const data = recordedInspectionEventSchema.parse({
      id,
      ts,
      type: 'inspection',
      inspector: input.inspector,
      result: input.result,
      ...(input.checklist ? { checklist: input.checklist } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
      by: input.by,
    });
    const result = await this.options.ingest.recordPlatformEvents([
      { id, kioskId: input.kioskId, type: 'inspection', ts, tsMs: input.inspectedAtMs, receivedMs: nowMs, data },
    ]);
    const inspection =
      this.inspections.get(id) ??
      toInspection({ id, kioskId: input.kioskId, tsMs: input.inspectedAtMs, receivedMs: nowMs, data }, this.options.calendar)!;
    return { inspection, isNew: result.inserted.includes(id) };
  }

  private apply(records: readonly EventRecord[], shouldEmit = true): void {
    let hasChanged = false;
    for (const record of records) {
      if (record.type !== 'inspection' || this.inspections.has(record.id)) continue;
      const inspection = toInspection(record, this.options.calendar);
      if (!inspection) continue;
      this.inspections.set(record.id, inspection);
      hasChanged = true;
    }
    if (!hasChanged) return;
    this.index = null;
    if (shouldEmit) this.emit('changed');
  }

  private indexed(): InspectionIndex {
    this.index ??= indexInspections(this.inspections.values());
    return this.index;
  }
}
