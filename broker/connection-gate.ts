import type net from 'node:net';
import type { RejectionListener } from './rejection.js';
import { TokenBuckets } from './token-bucket.js';

/** The window of the per-address connection rate. */
export const CONNECT_RATE_WINDOW_MS = 10_000;

export interface ConnectionGateOptions {
  /** Open connections on all listeners together; 0 for no cap. */
  maxConnections: number;
  /** New connections one address may open per 10 s, sustained; 0 turns the limit off. */
  connectRatePerAddress: number;
  /** New connections one address may open at once (a site reconnecting after an outage). */
  connectBurstPerAddress: number;
  onRejected: RejectionListener;
  now?: () => number;
}

/**
 * Admits or refuses raw connections as they are accepted, before TLS, WebSocket or MQTT cost
 * anything: a cap on open connections across every listener, and a token bucket per remote
 * address. A refused socket is destroyed at once; MQTT has no way to say why before CONNECT.
 */
export class ConnectionGate {
  readonly #options: ConnectionGateOptions;
  readonly #now: () => number;
  readonly #rates: TokenBuckets | null;
  #open = 0;

  constructor(options: ConnectionGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#rates =
      options.connectRatePerAddress > 0
        ? new TokenBuckets(
            {
              ratePerWindow: options.connectRatePerAddress,
              windowMs: CONNECT_RATE_WINDOW_MS,
              burst: options.connectBurstPerAddress,
            },
            this.#now(),
          )
        : null;
  }

  get openConnections(): number {
    return this.#open;
  }

  /**
   * Counts the socket until it closes, or destroys it and reports why; true when admitted.
   * `clientAddress` is the machine's address when a load balancer passed it (PROXY protocol).
   */
  admit(socket: net.Socket, clientAddress?: string): boolean {
    const address = clientAddress ?? socket.remoteAddress ?? 'unknown';
    const { maxConnections, connectRatePerAddress, connectBurstPerAddress, onRejected } = this.#options;
    if (maxConnections > 0 && this.#open >= maxConnections) {
      socket.destroy();
      onRejected({
        reason: 'too_many_connections',
        address,
        detail: `${this.#open} connections open, the cap is ${maxConnections}`,
      });
      return false;
    }
    if (this.#rates !== null && !this.#rates.take(address, this.#now())) {
      socket.destroy();
      onRejected({
        reason: 'connect_rate_exceeded',
        address,
        detail: `${address} opened more than ${connectBurstPerAddress} connections at once or ${connectRatePerAddress} per 10 s sustained`,
      });
      return false;
    }
    this.#open += 1;
    socket.once('close', () => (this.#open -= 1));
    return true;
  }
}
