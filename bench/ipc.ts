/**
 * Messages between the benchmark (which hosts the platform) and the load generator (a child
 * process with its own event loop), over Node's IPC channel.
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
  /**
   * The dashboard's socket.io URL: the generator connects a socket.io client and measures, for
   * every event published in the window, publish → receipt in an `events` push (same clock).
   */
  liveUrl?: string;
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
  /** With `liveUrl`: publish → socket.io `events` push receipt of the events published in the window. */
  live?: { latency: LatencySummary; published: number; received: number; pushes: number };
}

export type GeneratorMessage =
  | { type: 'connected'; machines: number; connectMs: number }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'result'; result: GeneratorResult }
  | { type: 'failed'; message: string };
