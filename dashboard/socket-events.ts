/**
 * The socket.io events between the dashboard and its browsers, typed once for both sides: the
 * server (dashboard/socket.ts and its push modules) and the web app (web/src/live/).
 */
import type { InspectionSummary } from '../collector/promises/inspection-service.js';
import type { ReservationNotice, ReservationSummary } from '../collector/promises/reservation-service.js';
import type { AlertView } from './alert-view.js';
import type { KioskView } from './kiosk-view.js';

export interface LiveEvent {
  kioskId: string;
  id: string;
  type: string;
  ts: string;
  data: Record<string, unknown>;
}

export interface PromisesSummary {
  at: string;
  inspections: InspectionSummary | null;
  reservations: ReservationSummary | null;
}

export interface EscalationPush {
  alert: AlertView;
  step: number;
  percent: number;
  dueAt: string;
}

/** What the server pushes. Every (re)connect starts with a full snapshot: socket.io keeps nothing. */
export interface ServerToClientEvents {
  snapshot: (snapshot: { kiosks: KioskView[]; at: string }) => void;
  kiosks: (kiosks: KioskView[]) => void;
  events: (events: LiveEvent[]) => void;
  /** The service promises' figures: on connect, then when they change. */
  promises: (summary: PromisesSummary) => void;
  /** A reservation at risk of missing, or past, its delivery window: once per reservation and step. */
  notice: (notice: ReservationNotice) => void;
  /** Alerts: the open ones on connect, then every alert that opens or changes. */
  alerts: (alerts: AlertView[]) => void;
  /** An alert nobody acknowledged passed a step of the response promise: once per alert and step. */
  escalation: (escalation: EscalationPush) => void;
}
export type ClientToServerEvents = Record<string, never>;
