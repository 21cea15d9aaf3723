/** The ingest's counters, as the health route, metrics and benchmarks read them. */
export interface IngestStats {
  messagesIn: number;
  eventsStored: number;
  duplicates: number;
  acksSent: number;
  telemetryStored: number;
  deadLetters: number;
  rejectedByReason: Record<string, number>;
  /** Events dropped from memory while the store was backed up (machines resend them). */
  shed: number;
  storeErrors: number;
  queuedEvents: number;
  lastStoreError: string | null;
  /** Events acked from the spool (durable on local disk, not yet in the store) since start. */
  spooled: number;
  /** Events waiting in the spool now. */
  spoolDepth: number;
  /** Events the full spool refused since start (not acked: machines resend them). */
  spoolDropped: number;
  /** When the newest event went into the store, epoch ms; telemetry and dead letters aside. */
  lastStoredMs: number | null;
  /** Events refused because their id was stored already with another content (dead-lettered `id_conflict`). */
  idConflicts: number;
}

/** Counters of an ingest that has received nothing yet. */
export function emptyIngestStats(): IngestStats {
  return {
    messagesIn: 0,
    eventsStored: 0,
    duplicates: 0,
    acksSent: 0,
    telemetryStored: 0,
    deadLetters: 0,
    rejectedByReason: {},
    shed: 0,
    storeErrors: 0,
    queuedEvents: 0,
    lastStoreError: null,
    spooled: 0,
    spoolDepth: 0,
    spoolDropped: 0,
    lastStoredMs: null,
    idConflicts: 0,
  };
}
