import { api } from './api.js';

/** `GET /api/v1/fleet`: the fleet's time zone and the KPI figures that are not in the live push. */
export interface FleetInfo {
  now: string;
  timeZone: string;
  today: string;
  month: string;
  responsePromiseHours: number | null;
  availability: { today: number | null; month: number | null };
  /** Share of the expected time machines were lending to readers (beside the technical availability). */
  readerAvailability: { today: number | null; month: number | null };
  /** Machines (not reserve or withdrawn) by what a reader can do now. */
  readerNow: { lending: number; returns_only: number; closed: number };
  circulation: {
    month: { loans: number; returns: number; total: number };
    year: { loans: number; returns: number; total: number };
    yearTarget: number;
    monthPace: number;
    yearPace: number;
  };
}

export const fetchFleetInfo = () => api.get<FleetInfo>('/fleet');
