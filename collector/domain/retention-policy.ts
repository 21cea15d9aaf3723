/** How long each kind of record is kept, in days; `null` keeps it for ever. */
export interface RetentionPolicy {
  /** Telemetry as sent; after this it is kept as hourly means. */
  telemetryRawDays: number;
  telemetryHourlyDays: number | null;
  deadLetterDays: number | null;
  /** Events make up every figure: kept for ever unless set explicitly. */
  eventDays: number | null;
}

/** Times before which each kind of record goes; `null` keeps that kind for ever. */
export interface RetentionCutoffs {
  /** Raw telemetry before this (a whole hour) is folded into hourly means, then deleted. */
  telemetryRawBeforeMs: number;
  telemetryHourlyBeforeMs: number | null;
  deadLettersBeforeMs: number | null;
  eventsBeforeMs: number | null;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The cutoffs of a policy at `nowMs`. Raw telemetry is cut at a whole hour, so an hour is folded once, whole. */
export function retentionCutoffs(policy: RetentionPolicy, nowMs: number): RetentionCutoffs {
  const before = (days: number | null) => (days === null ? null : nowMs - days * DAY_MS);
  return {
    telemetryRawBeforeMs: Math.floor((nowMs - policy.telemetryRawDays * DAY_MS) / HOUR_MS) * HOUR_MS,
    telemetryHourlyBeforeMs: before(policy.telemetryHourlyDays),
    deadLettersBeforeMs: before(policy.deadLetterDays),
    eventsBeforeMs: before(policy.eventDays),
  };
}
