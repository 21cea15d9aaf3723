import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { LocalTime } from '../../agent/local-time.js';
import type { KioskEvent } from '../../protocol/events.js';
import { encodeSip2 } from '../codec/encode.js';
import { createSip2Framer } from '../codec/framer.js';
import { formatSip2Date } from '../codec/sip2-date.js';

const BLANK_DATE = ' '.repeat(18);

/** The SIP2 request a simulated machine makes for a loan, return or renewal it generated. */
export function requestFor(event: KioskEvent, local: LocalTime, institution: string, patronId: string): string | undefined {
  const date = formatSip2Date(Date.parse(event.ts), local);
  const item = 'itemId' in event && event.itemId ? event.itemId : 'UNKNOWN';
  switch (event.type) {
    case 'loan':
      return encodeSip2(
        '11',
        ['N', 'N', date, BLANK_DATE],
        [
          ['AO', institution],
          ['AA', patronId],
          ['AB', item],
          ['AC', ''],
        ],
      );
    case 'return':
      return encodeSip2(
        '09',
        ['N', date, date],
        [
          ['AP', institution],
          ['AO', institution],
          ['AB', item],
          ['AC', ''],
        ],
      );
    case 'renewal':
      return encodeSip2(
        '29',
        ['N', 'N', date, BLANK_DATE],
        [
          ['AO', institution],
          ['AA', patronId],
          ['AB', item],
        ],
      );
    default:
      return undefined;
  }
}

export interface Sip2Client {
  /** Sends one message and resolves with the answer's text; one at a time, as SIP2 is. */
  request(message: string): Promise<string>;
  close(): void;
  isClosed(): boolean;
}

/** A machine's SIP2 connection (the SC side): CR-terminated requests, answers in order. */
export async function connectSip2Client(host: string, port: number, timeoutMs = 30_000): Promise<Sip2Client> {
  const socket: Socket = connect({ host, port });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const framer = createSip2Framer();
  const waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }> = [];
  let isClosed = false;
  let chain: Promise<unknown> = Promise.resolve();
  const failAll = (error: Error) => {
    for (const w of waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  };
  socket.on('data', (chunk) => {
    for (const frame of framer.push(chunk)) {
      if (frame.kind !== 'message') continue;
      const next = waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.resolve(frame.line);
      }
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    isClosed = true;
    failAll(new Error('SIP2 connection closed'));
  });
  const send = (message: string) =>
    new Promise<string>((resolve, reject) => {
      if (isClosed) return reject(new Error('SIP2 connection closed'));
      const timer = setTimeout(() => reject(new Error('no SIP2 answer in time')), timeoutMs);
      waiting.push({ resolve, reject, timer });
      socket.write(Buffer.from(`${message}\r`, 'latin1'));
    });
  return {
    request(message: string): Promise<string> {
      const answer = chain.then(() => send(message));
      chain = answer.catch(() => undefined);
      return answer;
    },
    close: () => socket.destroy(),
    isClosed: () => isClosed,
  };
}
