import { alertIdFor, foldAlerts } from './alerts.js';
import { compareEntries, type HealthEntry } from './health-entry.js';
import { type MachineCondition, type MachineContext, walkMachine } from './machine-condition.js';
import { serviceStateOf, serviceTimeline } from './service-state.js';

/**
 * Where a machine's in-memory history may be cut, and what stands in for what is cut off.
 * `entries` is the history to keep: `carry` (a few entries dated at or before `atMs`) followed by
 * every entry dated after `atMs`, unchanged.
 */
export interface HistoryCut {
  atMs: number;
  entries: HealthEntry[];
  /** How many entries the cut drops (the prefix, less what is carried). */
  dropped: number;
}

/** Nothing is wrong and nothing pending: the machine's condition holds no history but its boot. */
const isQuiet = (c: MachineCondition): boolean =>
  c.connection === 'online' &&
  !c.isSilent &&
  c.faults.size === 0 &&
  c.notLending === null &&
  c.lifecycle === 'active' &&
  !c.isInMaintenance &&
  !c.isPlatformDown;

/**
 * The latest instant at or before `beforeMs` at which the history can be summed up in a few
 * entries without changing any fold from that instant on: the machine online and in service, no
 * fault, no silence, not judged not lending, no planned maintenance reaching past it, every alert
 * resolved. What is carried:
 * - its current boot's online status, re-dated to when the machine last entered service, so the
 *   service state and its "since" stay the same;
 * - alert actions that name no alert yet (an acknowledgement recorded before its fault arrived).
 * The cut is checked: the service timeline after it and every alert opened after it are the same
 * folded from the kept entries as from the whole history; when not (a fault id reused across the
 * cut, a Last Will reordered across it), an earlier quiet instant is tried. Null when there is
 * nothing to cut.
 * Pure: the same entries, context and instant give the same cut.
 */
export function findHistoryCut(
  kioskId: string,
  entries: readonly HealthEntry[],
  context: MachineContext,
  beforeMs: number,
): HistoryCut | null {
  // The latest quiet instants, latest last: when one cannot be cut at, an earlier one may.
  const candidates: Quiet[] = [];
  let state: string | null = null;
  let sinceMs = 0;
  for (const { atMs, condition } of walkMachine(entries, context, beforeMs)) {
    const next = serviceStateOf(condition);
    if (next !== state) sinceMs = atMs;
    state = next;
    if (!isQuiet(condition)) continue;
    candidates.push({ atMs, sinceMs, bootId: condition.bootId });
    if (candidates.length > MAX_TRIES) candidates.shift();
  }
  for (let i = candidates.length - 1; i >= 0; i--) {
    const cut = cutAt(kioskId, entries, context, candidates[i]!);
    if (cut) return cut;
  }
  return null;
}

interface Quiet {
  atMs: number;
  /** When the machine last entered service. */
  sinceMs: number;
  bootId: string | null;
}

/** Quiet instants tried, latest first, before giving up until the next cut. */
const MAX_TRIES = 8;

function cutAt(kioskId: string, entries: readonly HealthEntry[], context: MachineContext, quiet: Quiet): HistoryCut | null {
  const cutMs = quiet.atMs;
  const split = entries.findIndex((e) => e.tsMs > cutMs);
  const prefix = split === -1 ? entries : entries.slice(0, split);
  const rest = split === -1 ? [] : entries.slice(split);

  // A planned window recorded before the cut that reaches it would be lost with its entry.
  for (const { event } of prefix) {
    if (event.type === 'maintenance_window' && Date.parse(event.to) >= cutMs) return null;
  }
  let boot: HealthEntry | undefined;
  for (let i = prefix.length - 1; i >= 0 && !boot; i--) {
    const e = prefix[i]!;
    if (e.event.type === 'status' && e.event.state === 'online' && (e.event.bootId ?? null) === quiet.bootId) boot = e;
  }
  if (!boot) return null;

  const memberIds = new Set(
    foldAlerts(kioskId, prefix, context, cutMs).flatMap((a) => [a.id, ...a.problems.map((p) => alertIdFor(kioskId, p.key))]),
  );
  const orphans = prefix.filter((e) => e.event.type.startsWith('alert_') && !memberIds.has((e.event as { alertId: string }).alertId));
  const carry = [{ ...boot, tsMs: quiet.sinceMs, receivedMs: Math.min(boot.receivedMs, quiet.sinceMs) }, ...orphans].sort(
    compareEntries,
  );
  const kept = [...carry, ...rest];
  if (!foldsAgreeAfter(kioskId, entries, kept, context, cutMs)) return null;
  return { atMs: cutMs, entries: kept, dropped: prefix.length - carry.length };
}

/** The service timeline from `cutMs` on and the alerts opened after it, folded from both histories. */
function foldsAgreeAfter(
  kioskId: string,
  whole: readonly HealthEntry[],
  kept: readonly HealthEntry[],
  context: MachineContext,
  cutMs: number,
): boolean {
  const untilMs = Math.max(cutMs, whole.at(-1)?.tsMs ?? cutMs);
  const after = (entries: readonly HealthEntry[]) =>
    JSON.stringify({
      timeline: serviceTimeline(entries, context, untilMs).filter((i) => i.toMs > cutMs || i.fromMs >= cutMs),
      alerts: foldAlerts(kioskId, entries, context, untilMs).filter((a) => a.openedAtMs > cutMs),
    });
  return after(whole) === after(kept);
}
