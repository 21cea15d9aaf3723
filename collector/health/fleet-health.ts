import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Lifecycle } from '../../registry/kiosk.js';
import { alertChanges, alertDigest, type AlertNotice } from '../domain/alert-changes.js';
import { type Alert, alertIdFor, alertStateOf, type AlertState, foldAlerts, kioskIdOfAlertId } from '../domain/alerts.js';
import type { Calendar, LocalMonth } from '../../time/calendar.js';
import { type CommandRecord, commandLog } from '../domain/command-log.js';
import type { EscalationPolicy } from '../domain/escalation.js';
import { monthlyFaultResponse, type MonthlyFaultResponse } from '../domain/fault-response.js';
import { fleetReaderUptime, fleetReliability, fleetUptime } from '../domain/fleet-figures.js';
import type { HealthEvent } from '../domain/health-entry.js';
import type { Interval } from '../domain/interval.js';
import { type MachineContext, maintenanceWindowsOf, type NotLendingCondition } from '../domain/machine-condition.js';
import { platformOutages } from '../domain/platform-outages.js';
import { type ReaderInterval, readerTimeline } from '../domain/reader-timeline.js';
import { currentServiceState, type ServiceInterval, type ServiceState, serviceTimeline } from '../domain/service-state.js';
import type { TimeWindow } from '../domain/uptime.js';
import type { Ingest } from '../ingest.js';
import type { EventRecord, EventStore } from '../store/event-store.js';
import { HealthHistory } from './health-history.js';
import { recordDueEscalations } from './escalation-recorder.js';
import { type HealthFigures, storedHealthFigures } from './stored-health-figures.js';

export interface FleetHealthOptions {
  store: EventStore;
  ingest: Ingest;
  calendar: Calendar;
  policy: EscalationPolicy;
  /** Registered machines: listed (as unknown) before they have said anything. */
  listKioskIds: () => readonly string[];
  /** The registry's lifecycle of a machine, used when no change was ever recorded. */
  lifecycleOf: (kioskId: string) => Lifecycle | undefined;
  now: () => number;
  logger: Logger;
  /** How often escalations and time-driven changes (a maintenance window starting) are looked for. Default 10 s. */
  checkIntervalMs?: number;
  /**
   * How far back a machine's history is kept in memory (older: summed up at a quiet instant, see
   * findHistoryCut). Default 400 days: a calendar year (the indicators' uptime) and a month.
   */
  historyWindowMs?: number;
}

export interface KioskServiceState {
  kioskId: string;
  state: ServiceState;
  sinceMs: number | null;
}

export type { AlertNotice };

/** For notifiers: an escalation step recorded, once per alert and step across restarts. */
export interface EscalationNotice {
  alert: Alert;
  step: number;
  percent: number;
  dueAtMs: number;
  escalatedAtMs: number;
}

export interface FleetHealthEvents {
  /** Alerts that opened or changed, as they are now. */
  alerts: [Alert[]];
  /** Machines whose service state changed. */
  states: [KioskServiceState[]];
  alert: [AlertNotice];
  escalation: [EscalationNotice];
}

interface KioskHealth {
  /** Alerts not resolved, whole. Resolved ones are folded again when asked for (see `alerts`). */
  unresolved: Alert[];
  /** Every alert's digest (alertDigest) by id: what the next fold is compared with. */
  digests: Map<string, string>;
  state: KioskServiceState;
  /** Next maintenance-window boundary after the last computation: the state may change then. */
  nextBoundaryMs: number | null;
}

const DEFAULT_CHECK_INTERVAL_MS = 10_000;
const DEFAULT_HISTORY_WINDOW_MS = 400 * 86_400_000;
/** Cutting walks each machine's history a few times: once an hour is plenty for a window of days. */
const CUT_EVERY_MS = 3_600_000;

/**
 * Fleet health, kept live: every machine's service state and alerts are folds of its history
 * (loaded from the store on start, then updated from each stored event); a timer records due
 * escalations. Figures over windows (uptime, MTBF, fault response) are computed on request from
 * the same history.
 */
export class FleetHealth extends EventEmitter<FleetHealthEvents> implements HealthFigures {
  private readonly history = new HealthHistory();
  private readonly kiosks = new Map<string, KioskHealth>();
  private outages: Interval[] = [];
  private isLoaded = false;
  private lastCutMs = Number.NEGATIVE_INFINITY;
  private checking: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** A fault here must not reach the ingest pipeline, which would take it for a failed write. */
  private readonly onStored = (records: EventRecord[]) => {
    try {
      this.apply(records);
    } catch (error) {
      this.options.logger.error({ err: error }, 'fleet health could not fold stored events');
    }
  };
  private readonly view = {
    entriesOf: (kioskId: string) => this.history.entriesOf(kioskId),
    contextOf: (kioskId: string) => this.contextOf(kioskId),
  };

  constructor(private readonly options: FleetHealthOptions) {
    super();
  }

  get policy(): EscalationPolicy {
    return this.options.policy;
  }

  async start(): Promise<void> {
    this.options.ingest.on('stored', this.onStored);
    // Other nodes' appends (a cluster on PostgreSQL): this view shows the whole fleet's history.
    this.options.ingest.on('followed', this.onStored);
    await this.history.load(this.options.store);
    this.isLoaded = true;
    this.outages = platformOutages(this.history.platformMarkers(), Number.POSITIVE_INFINITY);
    this.cutHistory();
    for (const kioskId of this.knownKioskIds()) this.recompute(kioskId);
    this.options.logger.info(
      { kiosks: this.kiosks.size, openAlerts: this.alerts({ states: ['open', 'acknowledged'] }).length },
      'fleet health loaded',
    );
    this.timer = setInterval(
      () => void this.tick().catch((error: unknown) => this.options.logger.error({ err: error }, 'fleet health check failed')),
      this.options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    );
    this.timer.unref();
    await this.checkEscalations();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.options.ingest.off('stored', this.onStored);
    this.options.ingest.off('followed', this.onStored);
  }

  serviceState(kioskId: string): KioskServiceState {
    const known = this.kiosks.get(kioskId)?.state;
    if (known) return known;
    return { kioskId, ...currentServiceState(this.history.entriesOf(kioskId), this.contextOf(kioskId), this.options.now()) };
  }

  /**
   * Alerts newest first, optionally by state and machine. Unresolved ones are held; resolved ones
   * are folded from the history on request (a flapping machine resolves thousands, see
   * health-history.ts).
   */
  alerts(filter: { states?: readonly AlertState[]; kioskId?: string } = {}): Alert[] {
    const kioskIds =
      filter.kioskId === undefined ? [...this.kiosks.keys()] : [filter.kioskId].filter((id) => this.kiosks.has(id));
    const isUnresolvedOnly = filter.states !== undefined && !filter.states.includes('resolved');
    return kioskIds
      .flatMap((kioskId) => (isUnresolvedOnly ? (this.kiosks.get(kioskId)?.unresolved ?? []) : this.allAlertsOf(kioskId)))
      .filter((a) => filter.states === undefined || filter.states.includes(alertStateOf(a)))
      .sort((a, b) => b.openedAtMs - a.openedAtMs || (a.id < b.id ? -1 : 1));
  }

  /** The alert an id names: its own id, or that of any problem it covers. */
  alert(alertId: string): Alert | undefined {
    const kioskId = kioskIdOfAlertId(alertId);
    const health = kioskId === undefined ? undefined : this.kiosks.get(kioskId);
    if (kioskId === undefined || !health) return undefined;
    const names = (a: Alert) => a.id === alertId || a.problems.some((p) => alertIdFor(a.kioskId, p.key) === alertId);
    return health.unresolved.find(names) ?? this.allAlertsOf(kioskId).find(names);
  }

  /** One machine's states over `[fromMs, toMs)`. */
  timeline(kioskId: string, fromMs: number, toMs: number): ServiceInterval[] {
    return serviceTimeline(this.history.entriesOf(kioskId), this.contextOf(kioskId), toMs)
      .filter((i) => i.toMs > fromMs)
      .map((i) => ({ ...i, fromMs: Math.max(i.fromMs, fromMs) }));
  }

  /** One machine's reader-side availability from its first recorded instant to `untilMs`. */
  readerTimeline(kioskId: string, untilMs: number): ReaderInterval[] {
    return readerTimeline(this.history.entriesOf(kioskId), this.contextOf(kioskId), untilMs);
  }

  /** Reader-side availability (share of the expected time lending) per machine and for the fleet. */
  readerUptime(window: TimeWindow, kioskIds: readonly string[] = this.knownKioskIds()): ReturnType<typeof fleetReaderUptime> {
    return fleetReaderUptime(this.view, kioskIds, window);
  }

  uptime(window: TimeWindow, kioskIds: readonly string[] = this.knownKioskIds()): ReturnType<typeof fleetUptime> {
    return fleetUptime(this.view, kioskIds, window);
  }

  /** MTBF and MTTR per machine and per component over a window. */
  reliability(window: TimeWindow, kioskIds: readonly string[] = this.knownKioskIds()): ReturnType<typeof fleetReliability> {
    return fleetReliability(this.view, kioskIds, window);
  }

  faultResponse(month: LocalMonth, kioskId?: string): MonthlyFaultResponse {
    return monthlyFaultResponse(
      this.alerts(kioskId === undefined ? {} : { kioskId }),
      month,
      this.options.calendar,
      this.options.now(),
      this.options.policy,
    );
  }

  commands(kioskId: string): CommandRecord[] {
    return commandLog(this.history.entriesOf(kioskId));
  }

  /** Planned maintenance windows recorded for a machine, latest start first. */
  maintenanceWindows(kioskId: string): Extract<HealthEvent, { type: 'maintenance_window' }>[] {
    return this.history
      .entriesOf(kioskId)
      .flatMap((e) => (e.event.type === 'maintenance_window' ? [e.event] : []))
      .sort((a, b) => Date.parse(b.from) - Date.parse(a.from));
  }

  /** Every machine known: registered, or heard from. */
  kioskIds(): string[] {
    return this.knownKioskIds();
  }

  /** The machine's latest word on lending: not lending (with the evidence) or null. */
  notLending(kioskId: string): NotLendingCondition | null {
    const entries = this.history.entriesOf(kioskId);
    for (let i = entries.length - 1; i >= 0; i--) {
      const { event, tsMs } = entries[i]!;
      if (event.type === 'kiosk_lending_resumed') return null;
      if (event.type === 'kiosk_not_lending') {
        const { expected, seen, probability } = event;
        return { sinceMs: Date.parse(event.since), detectedAtMs: tsMs, expected, seen, probability };
      }
    }
    return null;
  }

  /** Machines whose latest word on silence is `kiosk_silent` (for the silence detector's restart). */
  silentKioskIds(): string[] {
    return this.history.kioskIds().filter((kioskId) => {
      const entries = this.history.entriesOf(kioskId);
      for (let i = entries.length - 1; i >= 0; i--) {
        const type = entries[i]!.event.type;
        if (type === 'kiosk_silent') return true;
        if (type === 'kiosk_heard' || type === 'status') return false;
      }
      return false;
    });
  }

  /**
   * Records the escalations due at `atMs` (default now) and emits each one recorded for the first
   * time. Checks run one after another; each step of an alert is recorded once, across restarts.
   */
  checkEscalations(atMs: number = this.options.now()): Promise<EscalationNotice[]> {
    const run = this.checking.then(() => this.escalate(atMs));
    this.checking = run;
    return run;
  }

  private async escalate(atMs: number): Promise<EscalationNotice[]> {
    try {
      const { ingest, policy, now, logger } = this.options;
      const recorded = await recordDueEscalations(this.alerts({ states: ['open'] }), atMs, { ingest, policy, nowMs: now() });
      const notices: EscalationNotice[] = [];
      for (const d of recorded) {
        const alert = this.alert(d.alertId);
        if (!alert) continue;
        const notice = { alert, step: d.step, percent: d.percent, dueAtMs: d.dueAtMs, escalatedAtMs: atMs };
        notices.push(notice);
        this.emit('escalation', notice);
      }
      if (notices.length > 0) logger.info({ escalations: notices.length }, 'alerts escalated');
      return notices;
    } catch (error) {
      this.options.logger.error({ err: error }, 'escalation check failed; retried at the next check');
      return [];
    }
  }

  /**
   * Range figures for a range starting at `fromMs`: these, from memory, when every machine's
   * history in memory reaches back past it; else folded from the history read from the store.
   */
  async figuresFrom(fromMs: number): Promise<HealthFigures> {
    // Written so that an instant that is not a number (NaN) stays in memory, as before any cut.
    if (!(fromMs <= this.history.latestCutMs())) return this;
    const { store, calendar, policy, listKioskIds, lifecycleOf, now } = this.options;
    return storedHealthFigures({ store, calendar, policy, listKioskIds, lifecycleOf, now });
  }

  /** Entries of machines' histories held in memory. */
  historySize(): number {
    return this.history.size();
  }

  /**
   * Cuts every machine's history at its latest quiet instant before the window (at most once an
   * hour). Folds after the cut are unchanged; what leaves memory is the history before it, and
   * with it the alerts opened before it (all resolved by then).
   */
  cutHistory(nowMs: number = this.options.now()): number {
    if (nowMs - this.lastCutMs < CUT_EVERY_MS) return 0;
    this.lastCutMs = nowMs;
    const beforeMs = nowMs - (this.options.historyWindowMs ?? DEFAULT_HISTORY_WINDOW_MS);
    const { kioskIds, dropped } = this.history.cutBefore(beforeMs, (kioskId) => this.contextOf(kioskId));
    for (const kioskId of kioskIds) if (this.kiosks.has(kioskId)) this.recompute(kioskId);
    if (dropped > 0) this.options.logger.info({ dropped, kept: this.history.size() }, 'fleet-health history cut');
    return dropped;
  }

  private async tick(): Promise<void> {
    const nowMs = this.options.now();
    this.cutHistory(nowMs);
    for (const [kioskId, health] of this.kiosks) {
      if (health.nextBoundaryMs === null || health.nextBoundaryMs > nowMs) continue;
      const { alerts, states } = this.changesOf(kioskId);
      if (alerts.length > 0) this.emit('alerts', alerts);
      if (states.length > 0) this.emit('states', states);
    }
    await this.checkEscalations(nowMs);
  }

  private apply(records: readonly EventRecord[]): void {
    const { kioskIds, hasNewMarkers } = this.history.add(records);
    if (!this.isLoaded) return;
    if (hasNewMarkers) {
      this.outages = platformOutages(this.history.platformMarkers(), Number.POSITIVE_INFINITY);
      for (const kioskId of this.knownKioskIds()) kioskIds.add(kioskId);
    }
    const changedAlerts: Alert[] = [];
    const changedStates: KioskServiceState[] = [];
    for (const kioskId of kioskIds) {
      const { alerts, states } = this.changesOf(kioskId);
      changedAlerts.push(...alerts);
      changedStates.push(...states);
    }
    if (changedAlerts.length > 0) this.emit('alerts', changedAlerts);
    if (changedStates.length > 0) this.emit('states', changedStates);
  }

  private contextOf(kioskId: string): MachineContext {
    return { outages: this.outages, lifecycle: this.options.lifecycleOf(kioskId) ?? 'active' };
  }

  private knownKioskIds(): string[] {
    return [...new Set([...this.options.listKioskIds(), ...this.history.kioskIds()])].sort();
  }

  /** Every alert of a machine, resolved or not, folded from its history now. */
  private allAlertsOf(kioskId: string, entries = this.history.entriesOf(kioskId)): Alert[] {
    const nowMs = this.options.now();
    return foldAlerts(kioskId, entries, this.contextOf(kioskId), Math.max(nowMs, entries.at(-1)?.tsMs ?? nowMs));
  }

  /**
   * Folds a machine's health again; answers its alerts that are new or changed since the last
   * fold (with a notice for each change a notifier cares about) and its state if it changed.
   */
  private changesOf(kioskId: string): { alerts: Alert[]; states: KioskServiceState[] } {
    const before = this.kiosks.get(kioskId);
    const { health, alerts } = this.recompute(kioskId);
    const { changed, notices } = alertChanges(before?.digests, alerts, health.digests);
    for (const notice of notices) this.emit('alert', notice);
    return { alerts: changed, states: before?.state.state === health.state.state ? [] : [health.state] };
  }

  /** Folds a machine's health again; answers it, and every alert of the machine as folded. */
  private recompute(kioskId: string): { health: KioskHealth; alerts: Alert[] } {
    const nowMs = this.options.now();
    const entries = this.history.entriesOf(kioskId);
    const context = this.contextOf(kioskId);
    const alerts = this.allAlertsOf(kioskId, entries);
    const current = currentServiceState(entries, context, nowMs);
    const nextBoundaryMs = maintenanceWindowsOf(entries)
      .flatMap((w) => [w.fromMs, w.toMs])
      .filter((ms) => ms > nowMs)
      .reduce<number | null>((min, ms) => (min === null || ms < min ? ms : min), null);
    const digests = new Map(alerts.map((a) => [a.id, alertDigest(a)]));
    const health: KioskHealth = {
      unresolved: alerts.filter((a) => !a.resolved),
      digests,
      state: { kioskId, ...current },
      nextBoundaryMs,
    };
    this.kiosks.set(kioskId, health);
    return { health, alerts };
  }
}
