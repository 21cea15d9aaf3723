/**
 * Messages between the benchmark (which hosts the platform) and its load generators (child
 * processes, each with its own event loop), over Node's IPC channel ('advanced' serialization).
 */

export interface MachineCredentials {
  id: string;
  token: string;
}

/** How the machines load the platform. */
export type LoadShape =
  /** Each machine keeps at most `window` events unacked (its outbox) and refills as acks come. */
  | { kind: 'closed'; eventsPerMessage: number; window: number }
  /** The fleet sends `ratePerSecond` events in total, spread round-robin, whatever the acks do. */
  | { kind: 'open'; eventsPerMessage: number; ratePerSecond: number; maxUnackedPerMachine: number };

export interface RunCommand {
  type: 'run';
  mqttUrl: string;
  topicRoot: string;
  machines: MachineCredentials[];
  load: LoadShape;
  warmupMs: number;
  measureMs: number;
  /** After the measurement, how long to wait for the acks of everything already sent. */
  drainTimeoutMs: number;
  /** Connections opened at once while the fleet connects. */
  connectConcurrency: number;
  // After connecting, the generator waits for a GoCommand, so that several start together.
  /**
   * The dashboard's socket.io URL and an integration token to connect with: the generator connects
   * a socket.io client and measures, for every event published in the window, publish → receipt
   * in an `events` push (same clock).
   */
  live?: { url: string; token: string };
}

/** Sent to every generator once all have connected: the warm-up starts now. */
export interface GoCommand {
  type: 'go';
}

export interface LatencySummary {
  samples: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface GeneratorResult {
  /** Wall time of the measurement window as the generator measured it. */
  windowSeconds: number;
  /** Events whose ack arrived inside the window. */
  windowAckedEvents: number;
  windowSentEvents: number;
  windowSentMessages: number;
  windowAckMessages: number;
  /** Latency (ack received − publish) of the events acked inside the window. */
  latency: LatencySummary;
  /** The same, every sample (ms), so that several generators' results can be merged. */
  latencySamples: Float64Array;
  totals: {
    sentEvents: number;
    sentMessages: number;
    /** Distinct event ids acked as stored (each id counted once). */
    ackedEvents: number;
    rejectedEvents: number;
    /** Ids acked again after their first ack, or never sent by this machine. */
    unexpectedAcks: number;
    /** Sent but still unacked when the drain ended (lost or too slow). */
    unackedAtEnd: number;
    publishErrors: number;
    unexpectedDisconnects: number;
    ackMessages: number;
  };
  /** Open loop only: events the schedule could not send because a machine's outbox was full. */
  skippedEvents: number;
  /** Open loop only: worst lateness of the send schedule's timer. */
  maxScheduleLagMs: number;
  drainMs: number;
  connectMs: number;
  /** The generator's own CPU over the window (user + system), in cores. */
  cpuCores: number;
  eventLoopUtilization: number;
  /** With `live`: publish → socket.io `events` push receipt of the events published in the window. */
  live?: { latency: LatencySummary; samples: Float64Array; published: number; received: number; pushes: number };
}

export type GeneratorMessage =
  | { type: 'connected'; machines: number; connectMs: number }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'result'; result: GeneratorResult }
  | { type: 'failed'; message: string };

/** Percentiles by nearest rank, over samples in ms (sorted in place). */
export function summarizeLatency(samples: Float64Array): LatencySummary {
  const sorted = samples.sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    samples: n,
    meanMs: n === 0 ? Number.NaN : sum / n,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    maxMs: n === 0 ? Number.NaN : sorted[n - 1]!,
  };
}
