/**
 * Notices about the platform itself (its store, collector, notification channels, and data it had
 * to drop), for the same channels as machine alerts. Pure: the caller samples the health and
 * passes the time in.
 */

/** A component's state as `GET /api/v1/health` reports it; `external` (a broker run by others) counts as ok here. */
export type PlatformComponentState = 'ok' | 'degraded' | 'down' | 'external';

export interface PlatformComponentSample {
  state: PlatformComponentState;
  detail: string;
}

/** Counters of data the platform dropped, each since the process started. */
export const DROP_COUNTERS = ['spool', 'offlineQueue', 'idConflict'] as const;
export type DropCounter = (typeof DROP_COUNTERS)[number];

/** One look at the platform's health. */
export interface PlatformSample {
  atMs: number;
  /** Named like the health route's `components` (store, collector, notifications, …). */
  components: Readonly<Record<string, PlatformComponentSample>>;
  drops: Readonly<Record<DropCounter, number>>;
}

export interface PlatformNoticePolicy {
  /** How long a component must stay degraded (or down) before it is reported, and ok again before its recovery is. */
  debounceMs: number;
  /** Drops are reported at once, then at most once per this interval with the count since the last notice. */
  dropIntervalMs: number;
}

export type PlatformNotice =
  | {
      kind: 'opened';
      component: string;
      state: 'degraded' | 'down';
      detail: string;
      /** When the component was first seen in trouble (before the debounce). */
      sinceMs: number;
      atMs: number;
    }
  | { kind: 'recovered'; component: string; detail: string; sinceMs: number; durationMs: number; atMs: number }
  | {
      kind: 'dropped';
      counter: DropCounter;
      /** Dropped since the previous notice of this counter. */
      count: number;
      /** Dropped since the process started. */
      total: number;
      /** The look that first saw these drops. */
      sinceMs: number;
      atMs: number;
    };

interface ComponentWatch {
  /** Since when it has been in trouble; null while ok. */
  troubleSinceMs: number | null;
  /** The state last reported as opened; null when no incident is open. */
  reported: 'degraded' | 'down' | null;
  /** While an open incident looks ok again: since when (its recovery waits out the debounce). */
  okSinceMs: number | null;
  okDetail: string;
}

interface DropWatch {
  /** The total at the last notice (or the start). */
  reportedTotal: number;
  lastNoticeAtMs: number | null;
  /** The look that first saw drops not yet reported. */
  unreportedSinceMs: number | null;
}

export interface PlatformWatchState {
  components: Readonly<Record<string, ComponentWatch>>;
  drops: Readonly<Record<DropCounter, DropWatch>>;
}

export function initialPlatformWatch(): PlatformWatchState {
  const drop: DropWatch = { reportedTotal: 0, lastNoticeAtMs: null, unreportedSinceMs: null };
  return { components: {}, drops: { spool: { ...drop }, offlineQueue: { ...drop }, idConflict: { ...drop } } };
}

const isTrouble = (state: PlatformComponentState): state is 'degraded' | 'down' => state === 'degraded' || state === 'down';

function observeComponent(
  name: string,
  before: ComponentWatch | undefined,
  sample: PlatformComponentSample | undefined,
  atMs: number,
  policy: PlatformNoticePolicy,
): { watch: ComponentWatch; notice: PlatformNotice | null } {
  const watch: ComponentWatch = before ? { ...before } : { troubleSinceMs: null, reported: null, okSinceMs: null, okDetail: '' };
  // A component that vanished from the health (a channel list emptied) counts as ok.
  const state = sample?.state ?? 'ok';
  const detail = sample?.detail ?? '';
  if (isTrouble(state)) {
    watch.troubleSinceMs ??= atMs;
    watch.okSinceMs = null;
    const isDue = watch.reported === null && atMs - watch.troubleSinceMs >= policy.debounceMs;
    // Down after degraded is news at once: the incident is already confirmed.
    const isWorse = watch.reported === 'degraded' && state === 'down';
    if (!isDue && !isWorse) return { watch, notice: null };
    watch.reported = state;
    return { watch, notice: { kind: 'opened', component: name, state, detail, sinceMs: watch.troubleSinceMs, atMs } };
  }
  if (watch.reported === null) {
    // Trouble shorter than the debounce (flapping) is forgotten without a word.
    return { watch: { ...watch, troubleSinceMs: null }, notice: null };
  }
  if (watch.okSinceMs === null) {
    watch.okSinceMs = atMs;
    watch.okDetail = detail;
  }
  if (atMs - watch.okSinceMs < policy.debounceMs) return { watch, notice: null };
  const sinceMs = watch.troubleSinceMs ?? watch.okSinceMs;
  const notice: PlatformNotice = {
    kind: 'recovered',
    component: name,
    detail: watch.okDetail,
    sinceMs,
    durationMs: watch.okSinceMs - sinceMs,
    atMs,
  };
  return { watch: { troubleSinceMs: null, reported: null, okSinceMs: null, okDetail: '' }, notice };
}

function observeDrops(
  counter: DropCounter,
  before: DropWatch,
  total: number,
  atMs: number,
  policy: PlatformNoticePolicy,
): { watch: DropWatch; notice: PlatformNotice | null } {
  // A counter below what was reported was reset (a restart of what counts): start again from it.
  if (total < before.reportedTotal) return { watch: { ...before, reportedTotal: total, unreportedSinceMs: null }, notice: null };
  if (total === before.reportedTotal) return { watch: before, notice: null };
  const watch = { ...before, unreportedSinceMs: before.unreportedSinceMs ?? atMs };
  if (watch.lastNoticeAtMs !== null && atMs - watch.lastNoticeAtMs < policy.dropIntervalMs) return { watch, notice: null };
  const notice: PlatformNotice = {
    kind: 'dropped',
    counter,
    count: total - before.reportedTotal,
    total,
    sinceMs: watch.unreportedSinceMs,
    atMs,
  };
  return { watch: { reportedTotal: total, lastNoticeAtMs: atMs, unreportedSinceMs: null }, notice };
}

/**
 * One look at the health: the new watch state and the notices it calls for. A component is
 * reported once it has stayed degraded or down for `debounceMs` (and again at once if it goes
 * from degraded to down), and recovered once it has stayed ok as long; lost data is reported at
 * once, then at most once per `dropIntervalMs`.
 */
export function observePlatform(
  state: PlatformWatchState,
  sample: PlatformSample,
  policy: PlatformNoticePolicy,
): { state: PlatformWatchState; notices: PlatformNotice[] } {
  const notices: PlatformNotice[] = [];
  const components: Record<string, ComponentWatch> = {};
  for (const name of new Set([...Object.keys(state.components), ...Object.keys(sample.components)])) {
    const { watch, notice } = observeComponent(name, state.components[name], sample.components[name], sample.atMs, policy);
    components[name] = watch;
    if (notice) notices.push(notice);
  }
  const drops = { ...state.drops };
  for (const counter of DROP_COUNTERS) {
    const { watch, notice } = observeDrops(counter, state.drops[counter], sample.drops[counter], sample.atMs, policy);
    drops[counter] = watch;
    if (notice) notices.push(notice);
  }
  return { state: { components, drops }, notices };
}

/** Notices of one look, sent as one message. */
export interface PlatformMessage {
  source: 'platform';
  /** Stable for the same notices. */
  id: string;
  notices: PlatformNotice[];
}

export function platformMessageOf(notices: readonly PlatformNotice[]): PlatformMessage {
  const keys = notices.map((n) => `${n.kind}|${n.kind === 'dropped' ? n.counter : n.component}|${n.atMs}`);
  return { source: 'platform', id: `platform:${keys.join(',')}`, notices: [...notices] };
}

const DROPPED_WHAT: Record<DropCounter, string> = {
  spool: 'events refused by the full spool (not acked; machines resend them)',
  offlineQueue: "messages dropped from full queues of offline machines' sessions",
  idConflict: 'events refused because their id was stored already with another content (dead letters id_conflict)',
};

/** `45 s`, `12 min`, `3 h 5 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

function summaryOf(n: PlatformNotice): string {
  switch (n.kind) {
    case 'opened':
      return `${n.component} ${n.state}`;
    case 'recovered':
      return `${n.component} recovered after ${formatDuration(n.durationMs)}`;
    case 'dropped':
      return `${n.count} ${n.counter === 'offlineQueue' ? 'messages' : 'events'} dropped (${n.counter})`;
  }
}

/** A message's headline: `[platform] store degraded`, `[platform] store down; 12 events dropped (spool)`. */
export function platformHeadlineOf(message: PlatformMessage): string {
  return `[platform] ${message.notices.map(summaryOf).join('; ')}`;
}

/** One line per notice, in the fleet's local time; every channel wraps them in its own format. */
export function platformLinesOf(message: PlatformMessage, formatTime: (ms: number) => string): string[] {
  return message.notices.map((n) => {
    switch (n.kind) {
      case 'opened':
        return `${n.component} ${n.state} since ${formatTime(n.sinceMs)}: ${n.detail}`;
      case 'recovered':
        return `${n.component} ok again after ${formatDuration(n.durationMs)} (since ${formatTime(n.sinceMs)}): ${n.detail}`;
      case 'dropped':
        return `${n.count} ${DROPPED_WHAT[n.counter]} since ${formatTime(n.sinceMs)}; ${n.total} since start`;
    }
  });
}
