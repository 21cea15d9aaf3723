import type { LocalTime } from '../../agent/local-time.js';
import type { RefusalReason, TransactionOperation } from '../../protocol/events.js';
import { fieldOf, parseSip2, type ParseFailure, type Sip2Message } from '../codec/parse.js';
import { redactUnreadable } from '../codec/redact.js';
import { parseSip2Date } from '../codec/sip2-date.js';
import { classifyRefusal } from './refusal-reason.js';

/** What the bridge learns from one message of one SIP2 connection. Carries no reader data. */
export type Observation =
  | { kind: 'login'; loginUserId?: string; locationCode?: string }
  | { kind: 'terminal_location'; locationCode: string }
  | {
      kind: 'transaction';
      operation: TransactionOperation;
      isOk: boolean;
      /** Set when refused. */
      reason?: RefusalReason;
      itemId?: string;
      /** When it happened: the SC's transaction date, else the ACS's, else the bridge's clock. */
      atMs: number;
      isForwardedOffline: boolean;
      /** The same for a response sent again (97), so a resend is not counted twice. */
      key: string;
    }
  | { kind: 'sc_status'; statusCode: string }
  | { kind: 'acs_status'; isOnline: boolean; isCheckinOk: boolean; isCheckoutOk: boolean }
  | { kind: 'resend_requested'; by: 'sc' | 'acs' }
  | { kind: 'sequence_mismatch' }
  | { kind: 'malformed'; side: 'sc' | 'acs'; reason: ParseFailure | 'too_long'; redacted: string };

const REQUEST_OF: Readonly<Record<string, { request: string; operation: TransactionOperation }>> = {
  '12': { request: '11', operation: 'loan' },
  '10': { request: '09', operation: 'return' },
  '30': { request: '29', operation: 'renewal' },
};
const TRANSACTION_REQUESTS = new Set(['11', '09', '29']);

export interface ConnectionObserver {
  fromSc(line: string): Observation[];
  fromAcs(line: string): Observation[];
  /** A line too long to read, from either side. */
  tooLong(side: 'sc' | 'acs', bufferedBytes: number): Observation[];
}

/**
 * Reads one SIP2 connection's messages in both directions. SIP2 is strictly request then response
 * on a connection, so a response belongs to the SC's last request. Pure apart from `now`.
 */
export function createConnectionObserver(options: { local: LocalTime; now: () => number }): ConnectionObserver {
  let lastRequest: Sip2Message | undefined;
  let lastScSequence: number | undefined;

  const malformed = (side: 'sc' | 'acs', line: string, reason: ParseFailure): Observation[] => [
    { kind: 'malformed', side, reason, redacted: redactUnreadable(line) },
  ];

  function transactionOf(response: Sip2Message): Observation {
    const { request: requestCode, operation } = REQUEST_OF[response.code]!;
    const request = lastRequest?.code === requestCode ? lastRequest : undefined;
    const requestDate = request?.fixed['transactionDate'] ?? '';
    const responseDate = response.fixed['transactionDate'] ?? '';
    const atMs = parseSip2Date(requestDate, options.local) ?? parseSip2Date(responseDate, options.local) ?? options.now();
    const itemId = (fieldOf(response, 'AB') ?? (request ? fieldOf(request, 'AB') : undefined))?.trim().slice(0, 64);
    const isOk = response.fixed['ok'] === '1';
    return {
      kind: 'transaction',
      operation,
      isOk,
      ...(isOk ? {} : { reason: classifyRefusal(fieldOf(response, 'AF')) }),
      ...(itemId ? { itemId } : {}),
      atMs,
      isForwardedOffline: request?.fixed['noBlock'] === 'Y',
      key: [operation, itemId ?? '', requestDate, responseDate, isOk ? '1' : '0'].join('|'),
    };
  }

  return {
    fromSc(line: string): Observation[] {
      const parsed = parseSip2(line);
      if (!parsed.ok) return malformed('sc', line, parsed.reason);
      const message = parsed.message;
      lastScSequence = message.sequence;
      switch (message.code) {
        case '93': {
          const loginUserId = fieldOf(message, 'CN');
          const locationCode = fieldOf(message, 'CP');
          return [{ kind: 'login', ...(loginUserId ? { loginUserId } : {}), ...(locationCode ? { locationCode } : {}) }];
        }
        case '99':
          return [{ kind: 'sc_status', statusCode: message.fixed['statusCode'] ?? '' }];
        case '97':
          // The ACS will send its last response again: it still answers `lastRequest`.
          return [{ kind: 'resend_requested', by: 'sc' }];
        default:
          if (TRANSACTION_REQUESTS.has(message.code)) lastRequest = message;
          return [];
      }
    },
    fromAcs(line: string): Observation[] {
      const parsed = parseSip2(line);
      if (!parsed.ok) return malformed('acs', line, parsed.reason);
      const message = parsed.message;
      const observations: Observation[] = [];
      // A response echoes the sequence number of the request it answers.
      if (
        message.sequence !== undefined &&
        lastScSequence !== undefined &&
        message.sequence !== lastScSequence &&
        message.code !== '96'
      )
        observations.push({ kind: 'sequence_mismatch' });
      if (message.code in REQUEST_OF) observations.push(transactionOf(message));
      else if (message.code === '98') {
        const location = fieldOf(message, 'AN');
        if (location) observations.push({ kind: 'terminal_location', locationCode: location });
        observations.push({
          kind: 'acs_status',
          isOnline: message.fixed['onLine'] === 'Y',
          isCheckinOk: message.fixed['checkinOk'] === 'Y',
          isCheckoutOk: message.fixed['checkoutOk'] === 'Y',
        });
      } else if (message.code === '96') observations.push({ kind: 'resend_requested', by: 'acs' });
      return observations;
    },
    tooLong(side: 'sc' | 'acs', bufferedBytes: number): Observation[] {
      return [{ kind: 'malformed', side, reason: 'too_long', redacted: `(a line of more than ${bufferedBytes} bytes)` }];
    },
  };
}
