import type { Component, Severity } from '../../protocol/index.js';
import type { Calendar, LocalDay } from '../../time/calendar.js';
import type { FleetEvent } from './fleet-event.js';

export type Connection = 'online' | 'offline' | 'unknown';

export interface OpenFault {
  faultId: string;
  component: Component;
  code: string;
  severity: Severity;
  blocksLending: boolean;
  sinceMs: number;
}

/** What the platform knows about one machine right now. */
export interface KioskLiveState {
  kioskId: string;
  connection: Connection;
  /** Time of the status that set `connection` (machine's clock). */
  connectionSinceMs: number | null;
  bootId: string | null;
  firmware: string | null;
  /** Latest event, status or telemetry time seen from the machine. */
  lastSeenMs: number | null;
  openFaults: OpenFault[];
  today: { day: LocalDay; loans: number; returns: number };
  telemetry: { tsMs: number; readings: Record<string, number> } | null;
}

export function initialKioskState(kioskId: string, today: LocalDay): KioskLiveState {
  return {
    kioskId,
    connection: 'unknown',
    connectionSinceMs: null,
    bootId: null,
    firmware: null,
    lastSeenMs: null,
    openFaults: [],
    today: { day: today, loans: 0, returns: 0 },
    telemetry: null,
  };
}

const seen = (state: KioskLiveState, tsMs: number): number | null =>
  state.lastSeenMs === null || tsMs > state.lastSeenMs ? tsMs : state.lastSeenMs;

/**
 * Folds one event into a machine's live state; returns the same object when nothing changed.
 * Events arrive late (a machine's outbox after an outage), so nothing older than what set the
 * current value may overwrite it, and a Last Will from an earlier boot never marks a machine
 * that has since reconnected offline.
 */
export function foldEvent(state: KioskLiveState, event: FleetEvent, tsMs: number, calendar: Calendar): KioskLiveState {
  switch (event.type) {
    case 'status': {
      const isSameBoot = event.bootId !== undefined && event.bootId === state.bootId;
      const isStaleWill = event.state === 'offline' && event.bootId !== undefined && state.bootId !== null && !isSameBoot;
      const isOlder = state.connectionSinceMs !== null && tsMs < state.connectionSinceMs;
      // A boot goes online, then offline, once: its offline is news even if the clocks disagree.
      const isEndOfCurrentBoot = event.state === 'offline' && isSameBoot && state.connection === 'online';
      if (isStaleWill || (isOlder && !isEndOfCurrentBoot)) return state;
      return {
        ...state,
        connection: event.state,
        connectionSinceMs: tsMs,
        bootId: event.bootId ?? state.bootId,
        firmware: event.firmware ?? state.firmware,
        lastSeenMs: seen(state, tsMs),
      };
    }
    case 'loan':
    case 'return': {
      const day = calendar.dayOf(tsMs);
      const today = day > state.today.day ? { day, loans: 0, returns: 0 } : { ...state.today };
      if (day === today.day) {
        if (event.type === 'loan') today.loans += 1;
        else today.returns += 1;
      }
      return { ...state, today, lastSeenMs: seen(state, tsMs) };
    }
    case 'fault': {
      if (state.openFaults.some((f) => f.faultId === event.faultId)) return state;
      const fault: OpenFault = {
        faultId: event.faultId,
        component: event.component,
        code: event.code,
        severity: event.severity,
        blocksLending: event.blocksLending ?? event.severity === 'critical',
        sinceMs: tsMs,
      };
      return { ...state, openFaults: [...state.openFaults, fault], lastSeenMs: seen(state, tsMs) };
    }
    case 'fault_cleared':
      return {
        ...state,
        openFaults: state.openFaults.filter((f) => f.faultId !== event.faultId),
        lastSeenMs: seen(state, tsMs),
      };
    case 'inspection':
    case 'reservation_delivered':
      // Recorded through the API on the machine's behalf (`by`: a crew member, a courier): not heard from it.
      if ('by' in event) return state;
      return { ...state, lastSeenMs: seen(state, tsMs) };
    // Renewals and refusals are counted by the store per day and month under their own types; never as loans.
    case 'command_ack':
    case 'renewal':
    case 'transaction_refused':
      return { ...state, lastSeenMs: seen(state, tsMs) };
    default:
      // Events the platform itself records (an operator's action) say nothing of the machine's link.
      return state;
  }
}

/** Latest readings win; older ones (from a backlog) are kept out of the live picture. */
export function foldTelemetry(state: KioskLiveState, tsMs: number, readings: Record<string, number>): KioskLiveState {
  if (state.telemetry && tsMs < state.telemetry.tsMs) return state;
  return { ...state, telemetry: { tsMs, readings }, lastSeenMs: seen(state, tsMs) };
}

/** Starts a new day's counters when the fleet's local date has moved on. */
export function rollDay(state: KioskLiveState, today: LocalDay): KioskLiveState {
  return today > state.today.day ? { ...state, today: { day: today, loans: 0, returns: 0 } } : state;
}
