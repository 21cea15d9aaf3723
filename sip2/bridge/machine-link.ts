import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createKioskAgent, type CommandAnswer, type KioskAgent, type KioskAgentOptions } from '../../agent/kiosk-agent.js';
import type { LocalTime } from '../../agent/local-time.js';
import type { Outbox } from '../../agent/outbox.js';
import type { KioskCommand } from '../../protocol/commands.js';
import type { Component, KioskEvent } from '../../protocol/events.js';
import type { Topics } from '../../protocol/topics.js';
import type { MappedMachine } from './mapping.js';
import type { Observation } from './observer.js';

/** The faults a bridge can see: the SC's printer, and the library system refusing or unreachable. */
export const FAULTS = {
  printer: {
    component: 'receipt_printer',
    code: 'SIP2_PRINTER_OUT_OF_PAPER',
    severity: 'minor',
    blocksLending: false,
    message: 'The machine reports its receipt printer out of paper (SIP2 SC status 1)',
  },
  acsRefuses: {
    component: 'other',
    code: 'SIP2_ACS_REFUSES_LOANS',
    severity: 'critical',
    blocksLending: true,
    message: 'The library system refuses loans: its status answer says off-line, checkout or checkin not allowed',
  },
  acsUnreachable: {
    component: 'network',
    code: 'SIP2_ACS_UNREACHABLE',
    severity: 'critical',
    blocksLending: true,
    message: 'The SIP2 bridge cannot reach the library system',
  },
} as const satisfies Record<
  string,
  { component: Component; code: string; severity: 'critical' | 'major' | 'minor'; blocksLending: boolean; message: string }
>;
type FaultKind = keyof typeof FAULTS;

/** Kept with the machine's events in the outbox, so a restarted bridge neither loses nor repeats a fault. */
const progressSchema = z.object({
  isPaused: z.boolean().default(false),
  openFaults: z.record(z.string(), z.string()).default({}),
});
type Progress = z.infer<typeof progressSchema>;

/** Heartbeat readings at most this often: the 99 rhythm is commonly 1-5 minutes, some SCs send it per transaction. */
const HEARTBEAT_MIN_INTERVAL_MS = 30_000;

export interface MachineLinkOptions {
  machine: MappedMachine;
  brokerUrl: string;
  topics: Topics;
  outbox: Outbox;
  local: LocalTime;
  /** A machine whose SIP2 link has been silent this long is offline (OFFLINE_AFTER_MS). */
  offlineAfterMs: number;
  logger: Logger;
  now: () => number;
  tls?: KioskAgentOptions['tls'];
  agent?: Partial<
    Pick<KioskAgentOptions, 'ackTimeoutMs' | 'reconnectPeriodMs' | 'keepaliveSec' | 'batchSize' | 'flushIntervalMs'>
  >;
  /** Told when a command pauses or resumes the machine. */
  onPauseChanged?: (isPaused: boolean) => void;
}

export interface MachineLinkStats {
  kioskId: string;
  isLinkUp: boolean;
  isPaused: boolean;
  pendingEvents: number;
  /** Observations that could not be written to the outbox (disk full): the traffic still flowed. */
  droppedObservations: number;
}

export interface MachineLink {
  readonly kioskId: string;
  readonly agent: KioskAgent;
  start(): void;
  stop(): Promise<void>;
  /** The machine's SIP2 link carried a message. */
  heard(): void;
  /**
   * Publishes the heartbeat reading when one is due (at most every 30 s, after `heard`). The
   * bridge calls it once the machine's request is answered, or when it awaits no answer: a publish
   * in the request's turn would hold up the answer arriving meanwhile.
   */
  beatIfDue(): void;
  observe(observation: Observation): void;
  setAcsReachable(isReachable: boolean): void;
  /** Marks the machine offline when its link has been silent too long. */
  checkSilence(): void;
  isPaused(): boolean;
  stats(): MachineLinkStats;
}

const idPart = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);

/** One machine behind the bridge: its own MQTT identity (agent), faults, pause state and link. */
export function createMachineLink(options: MachineLinkOptions): MachineLink {
  const { machine, local, now } = options;
  const kioskId = machine.kioskId;
  const log = options.logger.child({ kioskId });
  const saved = progressSchema.safeParse(options.outbox.loadProgress(kioskId) ?? {});
  let progress: Progress = saved.success ? saved.data : { isPaused: false, openFaults: {} };
  let lastHeardMs: number | undefined;
  let lastHeartbeatMs = Number.NEGATIVE_INFINITY;
  let isLinkUp = false;
  let droppedObservations = 0;

  const agent = createKioskAgent({
    kioskId,
    brokerUrl: options.brokerUrl,
    topics: options.topics,
    credentials: { username: kioskId, password: machine.token },
    ...(options.tls ? { tls: options.tls } : {}),
    outbox: options.outbox,
    timestamp: () => local.format(now()),
    firmware: 'sip2-bridge',
    onCommand,
    // Until the machine's SIP2 link is seen, the bridge says nothing of it (its last status stays).
    isOnlineAtConnect: false,
    logger: options.logger,
    now,
    ...options.agent,
  });

  function record(events: KioskEvent[], next: Progress = progress): void {
    try {
      // A transaction leaves the progress as it was: nothing to write beside it on the answer's path.
      agent.enqueue(events, next === progress ? undefined : next);
      progress = next;
    } catch (err) {
      // Disk full or the outbox gone: the reader's transaction still went through; count the loss.
      droppedObservations += events.length;
      if (droppedObservations <= 10 || droppedObservations % 1_000 === 0)
        log.error(
          { err: { message: (err as Error).message, code: (err as { code?: string }).code }, droppedObservations },
          'observation not recorded',
        );
    }
  }

  function openFault(kind: FaultKind, detail?: string): void {
    if (progress.openFaults[kind] !== undefined) return;
    const atMs = now();
    const faultId = `${kioskId}-s2-${kind}-${atMs}`;
    const f = FAULTS[kind];
    record(
      [
        {
          id: faultId,
          ts: local.format(atMs),
          type: 'fault',
          faultId,
          component: f.component,
          code: f.code,
          severity: f.severity,
          blocksLending: f.blocksLending,
          message: detail ? `${f.message} (${detail})` : f.message,
        },
      ],
      { ...progress, openFaults: { ...progress.openFaults, [kind]: faultId } },
    );
  }

  function clearFault(kind: FaultKind): void {
    const faultId = progress.openFaults[kind];
    if (faultId === undefined) return;
    const { [kind]: _cleared, ...rest } = progress.openFaults;
    record([{ id: `${faultId}-cleared`, ts: local.format(now()), type: 'fault_cleared', faultId }], {
      ...progress,
      openFaults: rest,
    });
  }

  function onCommand(command: KioskCommand): CommandAnswer {
    if (command.type === 'reboot')
      return {
        result: 'rejected',
        detail: 'a machine behind the SIP2 bridge cannot be rebooted from the platform; restart it on site',
      };
    const isPaused = command.type !== 'resume';
    record([], { ...progress, isPaused });
    options.onPauseChanged?.(isPaused);
    return {
      result: 'done',
      detail: isPaused
        ? "its library system's status answers now say checkout not allowed, with a screen message"
        : "its library system's status answers pass unchanged again",
    };
  }

  function observe(o: Observation): void {
    switch (o.kind) {
      case 'transaction': {
        const id = `${kioskId}-s2-${idPart(o.key)}`;
        const common = {
          id,
          ts: local.format(o.atMs),
          ...(o.itemId ? { itemId: o.itemId } : {}),
          ...(o.isForwardedOffline ? { forwardedOffline: true } : {}),
        };
        record([
          o.isOk
            ? { ...common, type: o.operation }
            : { ...common, type: 'transaction_refused', operation: o.operation, reason: o.reason ?? 'other' },
        ]);
        return;
      }
      case 'sc_status':
        if (o.statusCode === '1') openFault('printer');
        else if (o.statusCode === '0') clearFault('printer');
        else if (o.statusCode === '2') {
          // About to shut down: a planned stop, not a fault.
          isLinkUp = false;
          agent.setStatus('offline', { reason: 'shutdown', announced: true });
        }
        return;
      case 'acs_status': {
        const refused = [
          !o.isOnline && 'off-line',
          !o.isCheckoutOk && 'checkout not allowed',
          !o.isCheckinOk && 'checkin not allowed',
        ].filter(Boolean);
        if (refused.length > 0) openFault('acsRefuses', refused.join(', '));
        else clearFault('acsRefuses');
        return;
      }
      default:
        return;
    }
  }

  return Object.freeze({
    kioskId,
    agent,
    start: () => agent.start(),
    stop: () => agent.stop(),
    heard(): void {
      lastHeardMs = now();
      if (!isLinkUp) {
        isLinkUp = true;
        agent.setStatus('online');
      }
    },
    beatIfDue(): void {
      // The platform's silence detector hears telemetry: the SIP2 rhythm becomes the heartbeat.
      const nowMs = now();
      if (lastHeardMs === undefined || nowMs - lastHeartbeatMs < HEARTBEAT_MIN_INTERVAL_MS || !agent.isOnline()) return;
      lastHeartbeatMs = nowMs;
      agent.publishTelemetry({ ts: local.format(nowMs) });
    },
    observe,
    setAcsReachable(isReachable: boolean): void {
      if (isReachable) clearFault('acsUnreachable');
      else openFault('acsUnreachable');
    },
    checkSilence(): void {
      if (!isLinkUp || lastHeardMs === undefined || now() - lastHeardMs <= options.offlineAfterMs) return;
      isLinkUp = false;
      agent.setStatus('offline', { reason: `SIP2 link silent for more than ${options.offlineAfterMs} ms` });
    },
    isPaused: () => progress.isPaused,
    stats: () => ({ kioskId, isLinkUp, isPaused: progress.isPaused, pendingEvents: agent.pendingCount(), droppedObservations }),
  });
}
