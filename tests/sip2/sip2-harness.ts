import { once } from 'node:events';
import { chmodSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { createSip2Framer } from '../../sip2/codec/framer.js';
import { createAcsResponder, type AcsBehaviour } from '../../sip2/sim/acs-responder.js';

/** What a stub ACS does with one message: answer it (the text, CR added), or hang, or reset. */
export type AcsScript = (line: string) => string | undefined | { hang: true } | { reset: true } | { raw: Buffer };

export interface StubAcs {
  port: number;
  /** Every byte it received, over all connections, in order. */
  received(): Buffer;
  /** Every byte it sent. */
  sent(): Buffer;
  connections(): number;
  script: AcsScript;
  close(): Promise<void>;
}

export const DEFAULT_BEHAVIOUR: AcsBehaviour = { isOnline: true, isCheckinOk: true, isCheckoutOk: true, institution: 'CYLIB' };

export function defaultScript(behaviour: AcsBehaviour = { ...DEFAULT_BEHAVIOUR }): AcsScript {
  return createAcsResponder(behaviour);
}

export async function startStubAcs(script: AcsScript = defaultScript()): Promise<StubAcs> {
  const received: Buffer[] = [];
  const sent: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const stub: StubAcs = {
    port: 0,
    received: () => Buffer.concat(received),
    sent: () => Buffer.concat(sent),
    connections: () => connections,
    script,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const framer = createSip2Framer();
    socket.on('data', (chunk) => {
      received.push(chunk);
      for (const frame of framer.push(chunk)) {
        if (frame.kind !== 'message') continue;
        const answer = stub.script(frame.line);
        if (answer === undefined) continue;
        if (typeof answer === 'string') {
          const bytes = Buffer.from(`${answer}\r`, 'latin1');
          sent.push(bytes);
          socket.write(bytes);
        } else if ('raw' in answer) {
          sent.push(answer.raw);
          socket.write(answer.raw);
        } else if ('reset' in answer) socket.resetAndDestroy();
        // hang: say nothing
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stub.port = (server.address() as AddressInfo).port;
  return stub;
}

/** A scripted machine (SC): sends what it is told, records every byte it gets back. */
export interface ScriptedSc {
  socket: Socket;
  send(text: string | Buffer): void;
  sent(): Buffer;
  received(): Buffer;
  /** The complete messages received so far (without terminators). */
  lines(): string[];
  isClosed(): boolean;
  close(): void;
}

export async function connectSc(port: number): Promise<ScriptedSc> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  const lines: string[] = [];
  const framer = createSip2Framer();
  let isClosed = false;
  socket.on('data', (chunk) => {
    received.push(chunk);
    for (const frame of framer.push(chunk)) if (frame.kind === 'message') lines.push(frame.line);
  });
  socket.on('error', () => {});
  socket.on('close', () => (isClosed = true));
  return {
    socket,
    send(text) {
      const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
      sent.push(bytes);
      socket.write(bytes);
    },
    sent: () => Buffer.concat(sent),
    received: () => Buffer.concat(received),
    lines: () => [...lines],
    isClosed: () => isClosed,
    close: () => socket.destroy(),
  };
}

/** Writes a mapping file readable by its owner only. */
export function writeMapping(dir: string, rows: string[], mode = 0o600): string {
  const file = join(dir, 'sip2-map.csv');
  writeFileSync(file, `kiosk_id,token,login_user_id,location_code,address\n${rows.join('\n')}\n`);
  chmodSync(file, mode);
  return file;
}

/** A SIP2 date (`YYYYMMDD    HHMMSS`, local) for an ISO local date-time `2026-03-01T08:30:00`. */
export const sip2Date = (localIso: string) =>
  `${localIso.slice(0, 4)}${localIso.slice(5, 7)}${localIso.slice(8, 10)}    ${localIso.slice(11, 13)}${localIso.slice(14, 16)}${localIso.slice(17, 19)}`;
