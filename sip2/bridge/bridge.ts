import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls, createServer as createTlsServer, type ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { createLocalTime } from '../../agent/local-time.js';
import { openOutbox, type Outbox } from '../../agent/outbox.js';
import type { Topics } from '../../protocol/topics.js';
import { createSip2Framer, DEFAULT_MAX_MESSAGE_BYTES } from '../codec/framer.js';
import { createAnswerTiming, type AnswerTimingSummary } from './answer-timing.js';
import { createLineSplitter } from './line-splitter.js';
import { createMachineLink, type MachineLink, type MachineLinkOptions, type MachineLinkStats } from './machine-link.js';
import { normaliseAddress, type MachineMapping } from './mapping.js';
import { createConnectionObserver, type Observation } from './observer.js';
import { DEFAULT_PAUSE_SCREEN_MESSAGE, rewriteAcsStatusForPause } from './pause-rewrite.js';

export interface Sip2BridgeOptions {
  /** Where machines (SCs) connect; TLS when `tls` is given. Port 0 picks a free one. */
  listen: { host: string; port: number; tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer } };
  /** The library system (ACS); TLS when `tls` is given. */
  upstream: { host: string; port: number; tls?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized' | 'servername'> };
  mapping: MachineMapping;
  brokerUrl: string;
  mqttTls?: MachineLinkOptions['tls'];
  topics: Topics;
  /** The outbox file `sip2-bridge-outbox.sqlite` lives here. */
  dataDir: string;
  /** SIP2 dates without a zone are in this zone; events are stamped with its offset. */
  timeZone: string;
  offlineAfterMs: number;
  /** No answer from the library system this long after a request: it is unreachable. Default 30 s. */
  acsResponseTimeoutMs?: number;
  /** Default 10 s. */
  upstreamConnectTimeoutMs?: number;
  /** Shown by a paused machine (AF of the status answer). ASCII: the library system's code page is unknown. */
  pauseScreenMessage?: string;
  maxMessageBytes?: number;
  /** Largest size of the outbox file; past it observations are dropped and counted (traffic flows). */
  outboxMaxBytes?: number;
  logger: Logger;
  now?: () => number;
  agent?: MachineLinkOptions['agent'];
}

export interface BridgeStats {
  connections: number;
  /** Machine and library system sockets open now. */
  openSockets: number;
  /** Connections no mapping row named (forwarded all the same). */
  unmappedConnections: number;
  bytesFromMachines: number;
  bytesFromLibrarySystem: number;
  /** Messages that could not be read (forwarded all the same), by reason. */
  deadLetters: Record<string, number>;
  sequenceMismatches: number;
  resendRequests: number;
  isAcsReachable: boolean | null;
  /** The bridge's own share of an answer's time and its GC pauses, since start. */
  answerTiming: AnswerTimingSummary;
  machines: MachineLinkStats[];
}

export interface RunningSip2Bridge {
  port: number;
  links: ReadonlyMap<string, MachineLink>;
  stats(): BridgeStats;
  /** Recent dead letters, redacted (no reader data), newest last. */
  recentDeadLetters(): readonly DeadLetter[];
  stop(): Promise<void>;
}

export interface DeadLetter {
  atMs: number;
  kioskId?: string;
  side: 'sc' | 'acs';
  reason: string;
  redacted: string;
}

/** What an SC sends that the ACS answers (01 block patron has no answer in SIP2 2.00). */
const ANSWERED_REQUESTS: ReadonlySet<string> = new Set([
  '93',
  '99',
  '11',
  '09',
  '29',
  '35',
  '23',
  '63',
  '17',
  '15',
  '19',
  '25',
  '37',
  '65',
  '97',
]);

const KEPT_DEAD_LETTERS = 200;
export const OUTBOX_FILE = 'sip2-bridge-outbox.sqlite';

/**
 * A transparent SIP2 proxy between machines (SCs) and their library system (ACS). Every byte is
 * forwarded unchanged both ways (a paused machine's status answers are the one exception);
 * observation reads a copy. A transaction is in the on-disk outbox before its answer reaches the
 * machine; nothing the platform side does (broker down, outbox full, a message that does not
 * parse) stops the traffic.
 */
export async function startSip2Bridge(options: Sip2BridgeOptions): Promise<RunningSip2Bridge> {
  const o = {
    acsResponseTimeoutMs: 30_000,
    upstreamConnectTimeoutMs: 10_000,
    pauseScreenMessage: DEFAULT_PAUSE_SCREEN_MESSAGE,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    now: Date.now,
    ...options,
  };
  const log = o.logger.child({ component: 'sip2-bridge' });
  const local = createLocalTime(o.timeZone);
  mkdirSync(o.dataDir, { recursive: true });
  const outbox: Outbox = openOutbox(
    join(o.dataDir, OUTBOX_FILE),
    o.outboxMaxBytes === undefined ? {} : { maxBytes: o.outboxMaxBytes },
  );
  const links = new Map<string, MachineLink>();
  for (const machine of o.mapping.machines) {
    links.set(
      machine.kioskId,
      createMachineLink({
        machine,
        brokerUrl: o.brokerUrl,
        topics: o.topics,
        outbox,
        local,
        offlineAfterMs: o.offlineAfterMs,
        logger: log,
        now: o.now,
        ...(o.mqttTls ? { tls: o.mqttTls } : {}),
        ...(o.agent ? { agent: o.agent } : {}),
      }),
    );
  }
  const counters = {
    connections: 0,
    unmappedConnections: 0,
    bytesFromMachines: 0,
    bytesFromLibrarySystem: 0,
    sequenceMismatches: 0,
    resendRequests: 0,
  };
  const deadLetterCounts: Record<string, number> = {};
  const deadLetters: DeadLetter[] = [];
  let isAcsReachable: boolean | null = null;
  const sockets = new Set<Socket>();
  const timing = createAnswerTiming();

  function setAcsReachable(isReachable: boolean, why: string): void {
    if (isAcsReachable === isReachable) return;
    isAcsReachable = isReachable;
    log[isReachable ? 'info' : 'warn'](
      { upstream: `${o.upstream.host}:${o.upstream.port}`, why },
      isReachable ? 'library system reachable' : 'library system unreachable',
    );
    for (const link of links.values()) link.setAcsReachable(isReachable);
  }

  function deadLetter(letter: DeadLetter): void {
    deadLetterCounts[letter.reason] = (deadLetterCounts[letter.reason] ?? 0) + 1;
    deadLetters.push(letter);
    if (deadLetters.length > KEPT_DEAD_LETTERS) deadLetters.shift();
    const count = deadLetterCounts[letter.reason]!;
    if (count <= 10 || count % 1_000 === 0) log.warn({ ...letter, count }, 'SIP2 message not readable; forwarded unchanged');
  }

  function handleConnection(sc: Socket): void {
    counters.connections++;
    sockets.add(sc);
    const remote = normaliseAddress(sc.remoteAddress ?? '');
    const connLog = log.child({ remote });
    let link = links.get(o.mapping.byAddress(remote)?.kioskId ?? '');
    let isCountedUnmapped = false;
    const observer = createConnectionObserver({ local, now: o.now });
    const scFramer = createSip2Framer(o.maxMessageBytes);
    const acsSplitter = createLineSplitter(o.maxMessageBytes);
    let responseTimer: NodeJS.Timeout | undefined;
    /** Requests sent and not yet answered: while any waits, the library system has to answer in time. */
    let awaitingAnswers = 0;
    let isUpstreamUp = false;
    const watchForAnswer = () => {
      if (awaitingAnswers === 0 || responseTimer !== undefined) return;
      responseTimer = setTimeout(() => {
        responseTimer = undefined;
        setAcsReachable(false, `no answer within ${o.acsResponseTimeoutMs} ms`);
        safely('a heartbeat', () => link?.beatIfDue());
      }, o.acsResponseTimeoutMs);
    };

    const identify = (by: string, key: string | undefined, lookup: (key: string) => { kioskId: string } | undefined) => {
      if (link !== undefined || key === undefined) return;
      link = links.get(lookup(key)?.kioskId ?? '');
      if (!link) return;
      connLog.info({ kioskId: link.kioskId, by }, 'SIP2 connection mapped');
      // The message that names the machine is the first its link is heard by.
      link.heard();
    };
    const countUnmapped = (why: string) => {
      if (link !== undefined || isCountedUnmapped) return;
      isCountedUnmapped = true;
      counters.unmappedConnections++;
      connLog.warn({ why }, 'SIP2 connection from a machine not in SIP2_MAP: forwarded, not observed');
    };

    function apply(observations: Observation[]): void {
      for (const observation of observations) {
        switch (observation.kind) {
          case 'login':
            identify('login user id', observation.loginUserId, o.mapping.byLoginUserId);
            identify('location code', observation.locationCode, o.mapping.byLocationCode);
            countUnmapped('login names no mapped machine');
            break;
          case 'terminal_location':
            identify('terminal location', observation.locationCode, o.mapping.byLocationCode);
            break;
          case 'malformed':
            deadLetter({
              atMs: o.now(),
              ...(link ? { kioskId: link.kioskId } : {}),
              side: observation.side,
              reason: observation.reason,
              redacted: observation.redacted,
            });
            break;
          case 'sequence_mismatch':
            counters.sequenceMismatches++;
            break;
          case 'resend_requested':
            counters.resendRequests++;
            break;
          default:
            if (link) link.observe(observation);
            else countUnmapped('a transaction from an unidentified machine');
        }
      }
    }

    /** Observation must never stop the traffic: whatever it throws is logged and forgotten. */
    function safely(what: string, run: () => void): void {
      try {
        run();
      } catch (err) {
        connLog.error({ err: { message: (err as Error).message } }, `observing ${what} failed; traffic unaffected`);
      }
    }

    const upstream: Socket = o.upstream.tls
      ? connectTls({ host: o.upstream.host, port: o.upstream.port, ...o.upstream.tls })
      : connectTcp({ host: o.upstream.host, port: o.upstream.port });
    sockets.add(upstream);
    upstream.setNoDelay(true);
    sc.setNoDelay(true);
    upstream.setTimeout(o.upstreamConnectTimeoutMs, () => {
      if (!isUpstreamUp) upstream.destroy(new Error(`no connection within ${o.upstreamConnectTimeoutMs} ms`));
    });
    upstream.once(o.upstream.tls ? 'secureConnect' : 'connect', () => {
      isUpstreamUp = true;
      upstream.setTimeout(0);
      setAcsReachable(true, 'connected');
    });

    sc.on('data', (chunk: Buffer) => {
      counters.bytesFromMachines += chunk.length;
      // Forward first: the request needs nothing recorded before it goes on.
      if (!upstream.write(chunk)) sc.pause();
      safely('a machine message', () => {
        for (const frame of scFramer.push(chunk)) {
          if (link) link.heard();
          if (frame.kind === 'message' && ANSWERED_REQUESTS.has(frame.line.slice(0, 2))) awaitingAnswers++;
          apply(frame.kind === 'message' ? observer.fromSc(frame.line) : observer.tooLong('sc', frame.bufferedBytes));
        }
        // With an answer awaited, the heartbeat goes after it is forwarded (below, or at the timeout).
        if (awaitingAnswers === 0) link?.beatIfDue();
      });
      watchForAnswer();
    });
    upstream.on('drain', () => sc.resume());

    upstream.on('data', (chunk: Buffer) => {
      const arrivedNs = process.hrtime.bigint();
      counters.bytesFromLibrarySystem += chunk.length;
      clearTimeout(responseTimer);
      responseTimer = undefined;
      setAcsReachable(true, 'answered');
      let isBlocked = false;
      for (const piece of acsSplitter.push(chunk)) {
        let bytes = piece.bytes;
        if (piece.line !== undefined) awaitingAnswers = Math.max(0, awaitingAnswers - 1);
        safely('a library system message', () => {
          if (piece.overflowBytes !== undefined) apply(observer.tooLong('acs', piece.overflowBytes));
          if (piece.line === undefined) return;
          // Recorded (synchronously, on disk) before the machine can see the answer complete.
          apply(observer.fromAcs(piece.line));
          if (link?.isPaused() && piece.line.startsWith('98')) {
            const rewritten = rewriteAcsStatusForPause(piece.line, o.pauseScreenMessage);
            if (rewritten !== undefined) {
              const text = piece.bytes.toString('latin1');
              const leading = text.startsWith('\n') ? '\n' : '';
              const trailing = text.endsWith('\r\n') ? '\r\n' : '\r';
              bytes = Buffer.from(`${leading}${rewritten}${trailing}`, 'latin1');
            }
          }
        });
        if (!sc.write(bytes)) isBlocked = true;
        if (piece.line !== undefined) timing.recordSince(arrivedNs);
      }
      if (isBlocked) upstream.pause();
      safely('a heartbeat', () => link?.beatIfDue());
      watchForAnswer();
    });
    sc.on('drain', () => upstream.resume());

    upstream.on('error', (err) => {
      if (!isUpstreamUp) setAcsReachable(false, err.message);
      connLog.debug({ err: { message: err.message } }, 'library system connection error');
    });
    upstream.on('close', () => {
      clearTimeout(responseTimer);
      sockets.delete(upstream);
      // The machine sees what it would see talking to the library system directly: the end.
      if (!sc.destroyed) sc.end();
    });
    sc.on('error', (err) => connLog.debug({ err: { message: err.message } }, 'machine connection error'));
    sc.on('close', () => {
      clearTimeout(responseTimer);
      sockets.delete(sc);
      if (link === undefined) countUnmapped('closed before it was identified');
      if (!upstream.destroyed) upstream.end();
    });
  }

  const server: Server = o.listen.tls
    ? createTlsServer(
        { cert: o.listen.tls.cert, key: o.listen.tls.key, ...(o.listen.tls.ca ? { ca: o.listen.tls.ca } : {}) },
        handleConnection,
      )
    : createTcpServer(handleConnection);
  server.on('tlsClientError', (err: Error) =>
    log.debug({ err: { message: err.message } }, 'TLS handshake with a machine failed'),
  );
  server.listen(o.listen.port, o.listen.host);
  await once(server, 'listening');
  for (const link of links.values()) link.start();
  const silenceTimer = setInterval(
    () => {
      for (const link of links.values()) link.checkSilence();
    },
    Math.min(5_000, Math.max(100, o.offlineAfterMs / 4)),
  );
  silenceTimer.unref();
  const { port } = server.address() as AddressInfo;
  log.info({ port, upstream: `${o.upstream.host}:${o.upstream.port}`, machines: links.size }, 'SIP2 bridge listening');

  return {
    port,
    links,
    stats: () => ({
      ...counters,
      openSockets: sockets.size,
      deadLetters: { ...deadLetterCounts },
      isAcsReachable,
      answerTiming: timing.summary(),
      machines: [...links.values()].map((link) => link.stats()),
    }),
    recentDeadLetters: () => [...deadLetters],
    async stop(): Promise<void> {
      clearInterval(silenceTimer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await Promise.all([...links.values()].map((link) => link.stop()));
      outbox.close();
      timing.stop();
      log.info({ answerTiming: timing.summary() }, 'SIP2 bridge stopped');
    },
  };
}
